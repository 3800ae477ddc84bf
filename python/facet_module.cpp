// The Python module `facet` (pybind11) on libfacet's C API (include/facet/facet.h): numpy arrays in
// and out, library failures as facet.Error, the GIL released while coding.
#include <facet/facet.h>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace py = pybind11;

namespace {

py::object& error_type() {
  static py::object type;
  return type;
}

// Raises facet.Error(message) with .status set to the status name.
[[noreturn]] void raise(facet_status status) {
  py::object error = error_type()(std::string(facet_last_error()));
  error.attr("status") = facet_status_name(status);
  PyErr_SetObject(error_type().ptr(), error.ptr());
  throw py::error_already_set();
}

void check(facet_status status) {
  if (status != FACET_OK) raise(status);
}

// A buffer the library allocated, freed with it.
struct LibraryBuffer {
  uint8_t* data = nullptr;
  ~LibraryBuffer() { facet_free(data); }
};

class Model {
 public:
  explicit Model(const py::object& path) {
    facet_model* m = nullptr;
    facet_status s;
    if (path.is_none()) {
      py::gil_scoped_release release;
      s = facet_model_load_default(&m);
    } else {
      const std::string p = py::str(path);
      py::gil_scoped_release release;
      s = facet_model_load(p.c_str(), &m);
    }
    check(s);
    model_.reset(m, facet_model_free);
  }
  const facet_model* get() const { return model_.get(); }
  std::string id() const { return facet_model_id(model_.get()); }

 private:
  std::shared_ptr<facet_model> model_;
};

// The shipped model, loaded on first use.
std::shared_ptr<Model> default_model() {
  static std::shared_ptr<Model> model;
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  if (!model) model = std::make_shared<Model>(py::none());
  return model;
}

const facet_model* model_of(const py::object& model, std::shared_ptr<Model>* keep) {
  if (model.is_none()) {
    *keep = default_model();
    return (*keep)->get();
  }
  return model.cast<Model&>().get();
}

// {name: value} -> settings; a value given as a string with a leading + or - is relative.
struct Settings {
  std::vector<std::string> names;
  std::vector<facet_factor_setting> settings;
};

Settings parse_settings(const py::object& set) {
  Settings out;
  if (set.is_none()) return out;
  if (!py::isinstance<py::dict>(set)) throw py::type_error("set must be a dict {name: value}");
  for (auto item : set.cast<py::dict>()) {
    out.names.push_back(py::str(item.first));
    facet_factor_setting s{};
    if (py::isinstance<py::str>(item.second)) {
      const std::string text = py::str(item.second);
      try {
        size_t used = 0;
        s.value = std::stod(text, &used);
        if (used != text.size()) throw std::invalid_argument(text);
      } catch (const std::exception&) {
        throw py::value_error("factor '" + out.names.back() + "': not a number: '" + text + "'");
      }
      s.relative = !text.empty() && (text[0] == '+' || text[0] == '-');
    } else {
      s.value = py::cast<double>(item.second);
    }
    out.settings.push_back(s);
  }
  for (size_t i = 0; i < out.settings.size(); ++i) out.settings[i].name = out.names[i].c_str();
  return out;
}

std::vector<std::string> parse_drops(const py::object& drop) {
  std::vector<std::string> out;
  if (drop.is_none()) return out;
  if (py::isinstance<py::str>(drop)) throw py::type_error("drop must be a list of factor names, not a string");
  for (auto item : drop) out.push_back(py::str(item));
  return out;
}

std::string bytes_of(const py::bytes& data) { return data; }

py::bytes compress(const py::array& array, double quality, int effort, int threads, const std::string& precision,
                   const py::object& model) {
  if (!array.dtype().is(py::dtype::of<uint8_t>()))
    throw py::type_error("facet.compress takes uint8 pixels, not " + std::string(py::str(array.dtype())));
  if (array.ndim() != 2 && array.ndim() != 3)
    throw py::value_error("pixels must have shape (H, W) or (H, W, C) with C in 1..4");
  const size_t height = array.shape(0), width = array.shape(1), channels = array.ndim() == 3 ? array.shape(2) : 1;
  if (channels < 1 || channels > 4) throw py::value_error("pixels must have 1 to 4 channels, not " + std::to_string(channels));
  if (height == 0 || width == 0 || height > 65535 || width > 65535)
    throw py::value_error("image sides must be 1..65535 pixels");
  auto contiguous = py::array_t<uint8_t, py::array::c_style | py::array::forcecast>::ensure(array);
  facet_compress_options o;
  facet_compress_options_init(&o);
  o.quality = quality;
  o.effort = effort;
  o.threads = threads;
  if (precision == "fp32") o.precision = FACET_PRECISION_FP32;
  else if (precision == "bf16") o.precision = FACET_PRECISION_BF16;
  else if (precision != "auto") throw py::value_error("precision is auto, fp32 or bf16");
  std::shared_ptr<Model> keep;
  const facet_model* m = model_of(model, &keep);
  LibraryBuffer out;
  size_t size = 0;
  facet_status s;
  {
    py::gil_scoped_release release;
    s = facet_compress(m, contiguous.data(), uint32_t(width), uint32_t(height), uint32_t(channels), 0, &o, &out.data,
                       &size);
  }
  check(s);
  return py::bytes(reinterpret_cast<const char*>(out.data), size);
}

py::array decompress(const py::bytes& data, const py::object& drop, const py::object& set, int threads,
                     const py::object& model) {
  const std::string bytes = bytes_of(data);
  Settings settings = parse_settings(set);
  std::vector<std::string> drops = parse_drops(drop);
  std::vector<const char*> drop_names;
  for (const auto& d : drops) drop_names.push_back(d.c_str());
  facet_decompress_options o;
  facet_decompress_options_init(&o);
  o.threads = threads;
  o.drop = drop_names.data();
  o.drop_count = drop_names.size();
  o.settings = settings.settings.data();
  o.setting_count = settings.settings.size();
  std::shared_ptr<Model> keep;
  const facet_model* m = model_of(model, &keep);
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  uint32_t width = 0, height = 0, channels = 0;
  check(facet_image_size(p, bytes.size(), &width, &height, &channels));
  std::vector<py::ssize_t> shape = {py::ssize_t(height), py::ssize_t(width)};
  if (channels > 1) shape.push_back(channels);
  py::array_t<uint8_t> out(shape);
  uint8_t* pixels = out.mutable_data();
  const size_t capacity = size_t(width) * height * channels;
  facet_status s;
  {
    py::gil_scoped_release release;
    s = facet_decompress_into(m, p, bytes.size(), &o, pixels, capacity, 0);
  }
  check(s);
  return out;
}

py::dict inspect(const py::bytes& data, const py::object& model) {
  const std::string bytes = bytes_of(data);
  std::shared_ptr<Model> keep;
  const facet_model* m = nullptr;
  if (!model.is_none()) {
    m = model.cast<Model&>().get();
  } else {
    try {  // the shipped model gives the values of its own files; without it, no values
      m = model_of(model, &keep);
    } catch (const py::error_already_set&) {
      m = nullptr;
    }
  }
  facet_file_info* info = nullptr;
  check(facet_inspect(m, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), &info));
  std::unique_ptr<facet_file_info, void (*)(facet_file_info*)> hold(info, facet_file_info_free);
  py::dict d;
  d["width"] = facet_file_info_width(info);
  d["height"] = facet_file_info_height(info);
  d["channels"] = facet_file_info_channels(info);
  d["quality"] = facet_file_info_quality(info);
  d["format_version"] = facet_file_info_format_version(info);
  d["model_id"] = std::string(facet_file_info_model_id(info));
  py::list factors;
  for (size_t i = 0; i < facet_file_info_factor_count(info); ++i) {
    facet_factor f;
    check(facet_file_info_factor(info, i, &f));
    py::dict e;
    e["name"] = std::string(f.name);
    e["kind"] = std::string(f.kind);
    e["coder"] = std::string(f.coder);
    e["bytes"] = f.bytes;
    if (f.has_value) e["value"] = f.value;
    factors.append(e);
  }
  d["factors"] = factors;
  return d;
}

py::bytes edit(const py::bytes& data, const py::object& set, const py::object& drop, const py::object& model) {
  const std::string bytes = bytes_of(data);
  Settings settings = parse_settings(set);
  std::vector<std::string> drops = parse_drops(drop);
  std::vector<const char*> drop_names;
  for (const auto& d : drops) drop_names.push_back(d.c_str());
  std::shared_ptr<Model> keep;
  const facet_model* m = settings.settings.empty() && model.is_none() ? nullptr : model_of(model, &keep);
  LibraryBuffer out;
  size_t size = 0;
  check(facet_edit(m, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), settings.settings.data(),
                   settings.settings.size(), drop_names.data(), drop_names.size(), &out.data, &size));
  return py::bytes(reinterpret_cast<const char*>(out.data), size);
}

}  // namespace

PYBIND11_MODULE(facet, m) {
  m.doc() =
      "Facet: a learned image codec whose files are made of named, editable factors.\n\n"
      "  data = facet.compress(pixels, quality=60)        # uint8 (H, W), (H, W, 3) or (H, W, 4)\n"
      "  pixels = facet.decompress(data, drop=['chroma'])\n"
      "  facet.inspect(data)['factors']\n"
      "  brighter = facet.edit(data, set={'exposure': '+0.5'})";
  m.attr("__version__") = facet_version_string();
  error_type() = py::reinterpret_borrow<py::object>(
      PyErr_NewExceptionWithDoc("facet.Error", "A failure of the Facet library; .status names it.", PyExc_RuntimeError,
                                nullptr));
  m.attr("Error") = error_type();

  py::class_<Model, std::shared_ptr<Model>>(m, "Model", "A weights file; Model() is the shipped model.")
      .def(py::init<const py::object&>(), py::arg("path") = py::none())
      .def_property_readonly("id", &Model::id);

  m.def("compress", &compress, py::arg("pixels"), py::arg("quality") = 75.0, py::arg("effort") = 1,
        py::arg("threads") = 1, py::arg("precision") = "auto", py::arg("model") = py::none(),
        "uint8 pixels (H, W), (H, W, 1..4) -> the bytes of a .fct file. Effort 1 only (efforts 2-4 need LibTorch: "
        "the facet command).");
  m.def("decompress", &decompress, py::arg("data"), py::arg("drop") = py::none(), py::arg("set") = py::none(),
        py::arg("threads") = 1, py::arg("model") = py::none(),
        "A .fct file's bytes -> uint8 pixels (H, W) or (H, W, C). drop: factor names decoded as their prior mean; "
        "set: {name: value} (a string '+0.5' / '-0.5' changes the stored value).");
  m.def("inspect", &inspect, py::arg("data"), py::arg("model") = py::none(),
        "A .fct file's header and factor table as a dict (global factors' values with the file's model).");
  m.def("edit", &edit, py::arg("data"), py::arg("set") = py::none(), py::arg("drop") = py::none(),
        py::arg("model") = py::none(), "A new .fct with factors set and dropped, without decoding pixels.");
}
