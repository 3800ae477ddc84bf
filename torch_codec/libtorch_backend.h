// What a program that links LibTorch adds to the codec (codec/codec.h's LibTorchBackend): the
// refinement of efforts >= 2, sprites models, and the LibTorch transforms as the reference.
#pragma once

#include "codec/codec.h"
#include "networks/photo_model.h"
#include "sprites/sprites_codec_model.h"

namespace facet {

// Installs the LibTorch backend for every model loaded after it (facet-torch's main, the tests).
void use_libtorch_backend();

// The LibTorch networks of a photo model loaded with the backend installed (null otherwise), and a
// sprites model's bundle (null for a photo model).
PhotoModel* libtorch_network(CodecModel& model);
SpritesBundle* libtorch_sprites(CodecModel& model);

}  // namespace facet
