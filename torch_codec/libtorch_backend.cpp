// The LibTorch backend: the photo model's networks for refinement (and as the reference
// transforms), and sprites models.
#include "torch_codec/libtorch_backend.h"

#include "networks/model_io.h"
#include "torch_codec/refine.h"
#include "torch_codec/sprite_codec.h"
#include "torch_codec/torch_transforms.h"

namespace facet {

void use_libtorch_backend() {
  LibTorchBackend backend;
  backend.photo = [](const TensorFile& file, TransformsBackend which, CodecModel* model) -> Status {
    FACET_ASSIGN_OR_RETURN(ModelBundle bundle, model_from_tensor_file(file));
    model->refiner = std::make_shared<TorchRefiner>(bundle.net);
    if (which == TransformsBackend::kLibTorch) model->transforms = std::make_shared<TorchTransforms>(bundle.net);
    return ok_status();
  };
  backend.sprites = [](const TensorFile& file) -> StatusOr<std::shared_ptr<SpritesCodec>> {
    FACET_ASSIGN_OR_RETURN(SpritesBundle bundle, sprites_model_from_tensor_file(file));
    return std::shared_ptr<SpritesCodec>(std::make_shared<TorchSpritesCodec>(std::move(bundle)));
  };
  install_libtorch_backend(std::move(backend));
}

PhotoModel* libtorch_network(CodecModel& model) {
  auto* refiner = dynamic_cast<TorchRefiner*>(model.refiner.get());
  return refiner ? &refiner->net() : nullptr;
}

SpritesBundle* libtorch_sprites(CodecModel& model) {
  auto* sprites = dynamic_cast<TorchSpritesCodec*>(model.sprites.get());
  return sprites ? &sprites->bundle() : nullptr;
}

}  // namespace facet
