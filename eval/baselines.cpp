// JPEG / WebP through OpenCV and JPEG XL / AVIF through their command-line tools, as RdCodecs.
#include "eval/baselines.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgcodecs.hpp>

#include "common/file_io.h"
#include "formats/image_io.h"

extern char** environ;

namespace facet {
namespace {

cv::Mat to_bgr_mat(const Image& rgb8) {
  cv::Mat mat(int(rgb8.height), int(rgb8.width), CV_8UC3);
  for (uint32_t y = 0; y < rgb8.height; ++y) {
    uint8_t* row = mat.ptr<uint8_t>(int(y));
    for (uint32_t x = 0; x < rgb8.width; ++x)
      for (int c = 0; c < 3; ++c) row[x * 3 + c] = uint8_t(rgb8.at(x, y, 2 - c));
  }
  return mat;
}

StatusOr<RdCodec> opencv_codec(const std::string& name, const char* extension, int quality_flag) {
  RdCodec codec;
  codec.name = name;
  codec.version = "OpenCV " + cv::getVersionString() + " imencode";
  codec.setting_name = "quality";
  for (int q = 5; q <= 95; q += 5) codec.settings.push_back(q);
  const std::string ext = extension;
  codec.encode = [ext, quality_flag](const Image& rgb8, double quality) -> StatusOr<Bytes> {
    std::vector<uchar> buffer;
    bool ok = false;
    try {
      ok = cv::imencode(ext, to_bgr_mat(rgb8), buffer, {quality_flag, int(quality)});
    } catch (const cv::Exception& e) {
      return make_error(ErrorCode::kInternal, std::string("OpenCV: ") + e.what());
    }
    FACET_RETURN_ERROR_IF(!ok, kInternal, "OpenCV could not encode " + ext);
    return Bytes(buffer.begin(), buffer.end());
  };
  codec.decode = [](const Bytes& file) { return decode_image(file.data(), file.size()); };
  return codec;
}

// A private directory for one encode/decode round trip, removed when it goes out of scope.
class TempDir {
 public:
  static StatusOr<std::unique_ptr<TempDir>> make() {
    std::error_code ec;
    std::filesystem::path base = std::filesystem::temp_directory_path(ec);
    if (ec) base = "/tmp";
    std::string pattern = (base / "facet-rd-XXXXXX").string();
    FACET_RETURN_ERROR_IF(mkdtemp(pattern.data()) == nullptr, kIo,
                          "cannot create a temporary directory in " + base.string() + ": " + std::strerror(errno));
    return std::unique_ptr<TempDir>(new TempDir(pattern));
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

std::string format_number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

// The first line a tool prints for --version, or "" if it cannot be run.
std::string tool_version(const std::string& tool) {
  std::string output;
  auto status = run_program({tool, "--version"}, &output);
  if (!status.ok()) return "";
  output = output.substr(0, output.find('\n'));
  // avifenc prints "Version: 0.11.1 (...)", without its own name.
  const std::string prefix = "Version: ";
  if (output.compare(0, prefix.size(), prefix) == 0) output = tool + " " + output.substr(prefix.size());
  return output.empty() ? tool : output;
}

// Encodes through `encoder` (input.png -> file) and decodes through `decoder` (file -> png).
struct ToolCodec {
  std::string encoder, decoder, extension;
  std::function<std::vector<std::string>(double setting, const std::string& in, const std::string& out)> encode_args;
  std::function<std::vector<std::string>(const std::string& in, const std::string& out)> decode_args;
};

Status run_tool(const std::vector<std::string>& args) {
  std::string output;
  FACET_ASSIGN_OR_RETURN(int exit_status, run_program(args, &output));
  FACET_RETURN_ERROR_IF(exit_status != 0, kInternal,
                        args[0] + " failed (exit " + std::to_string(exit_status) + "): " +
                            output.substr(0, output.find('\n')));
  return ok_status();
}

RdCodec tool_codec(const std::string& name, const ToolCodec& tool, const std::string& version,
                   const std::string& setting_name, std::vector<double> settings) {
  RdCodec codec;
  codec.name = name;
  codec.version = version;
  codec.setting_name = setting_name;
  codec.settings = std::move(settings);
  codec.encode = [tool](const Image& rgb8, double setting) -> StatusOr<Bytes> {
    FACET_ASSIGN_OR_RETURN(auto dir, TempDir::make());
    FACET_ASSIGN_OR_RETURN(Bytes png, encode_png(rgb8));
    FACET_RETURN_IF_ERROR(write_file_atomic(dir->file("input.png"), png));
    const std::string out = dir->file("output." + tool.extension);
    FACET_RETURN_IF_ERROR(run_tool(tool.encode_args(setting, dir->file("input.png"), out)));
    return read_file(out);
  };
  codec.decode = [tool](const Bytes& file) -> StatusOr<Image> {
    FACET_ASSIGN_OR_RETURN(auto dir, TempDir::make());
    const std::string in = dir->file("input." + tool.extension), out = dir->file("decoded.png");
    FACET_RETURN_IF_ERROR(write_file_atomic(in, file));
    FACET_RETURN_IF_ERROR(run_tool(tool.decode_args(in, out)));
    FACET_ASSIGN_OR_RETURN(Bytes png, read_file(out));
    return decode_image(png.data(), png.size());
  };
  return codec;
}

}  // namespace

const std::vector<std::string>& baseline_names() {
  static const std::vector<std::string> names = {"jpeg", "webp", "jxl", "avif"};
  return names;
}

StatusOr<int> run_program(const std::vector<std::string>& args, std::string* output) {
  FACET_RETURN_ERROR_IF(args.empty(), kInternal, "run_program without a program");
  std::unique_ptr<TempDir> dir;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  std::string capture = "/dev/null";
  if (output) {
    FACET_ASSIGN_OR_RETURN(dir, TempDir::make());
    capture = dir->file("output.txt");
  }
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, capture.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int spawn_error = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  FACET_RETURN_ERROR_IF(spawn_error != 0, kIo, "cannot run " + args[0] + ": " + std::strerror(spawn_error));
  int wait_status = 0;
  while (waitpid(pid, &wait_status, 0) < 0) {
    FACET_RETURN_ERROR_IF(errno != EINTR, kIo, "waiting for " + args[0] + ": " + std::strerror(errno));
  }
  if (output) {
    auto text = read_file(capture);
    output->assign(text.ok() ? std::string(text->begin(), text->end()) : std::string());
  }
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  return 128 + (WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0);
}

StatusOr<BaselineLookup> find_baseline(const std::string& name) {
  BaselineLookup lookup;
  if (name == "jpeg") {
    FACET_ASSIGN_OR_RETURN(lookup.codec, opencv_codec("jpeg", ".jpg", cv::IMWRITE_JPEG_QUALITY));
    lookup.available = true;
    return lookup;
  }
  if (name == "webp") {
    FACET_ASSIGN_OR_RETURN(lookup.codec, opencv_codec("webp", ".webp", cv::IMWRITE_WEBP_QUALITY));
    lookup.available = true;
    return lookup;
  }
  auto tools_missing = [&](const std::string& encoder, const std::string& decoder, const char* package) {
    for (const std::string& tool : {encoder, decoder})
      if (tool_version(tool).empty()) {
        lookup.skip_reason = tool + " not found on PATH (Debian package " + package + ")";
        return true;
      }
    return false;
  };
  if (name == "jxl") {
    if (tools_missing("cjxl", "djxl", "libjxl-tools")) return lookup;
    ToolCodec tool{"cjxl", "djxl", "jxl",
                   [](double distance, const std::string& in, const std::string& out) {
                     return std::vector<std::string>{"cjxl", in, out, "-d", format_number(distance), "-e", "7",
                                                     "--num_threads=0", "--quiet"};
                   },
                   [](const std::string& in, const std::string& out) {
                     return std::vector<std::string>{"djxl", in, out, "--num_threads=0", "--quiet"};
                   }};
    lookup.codec = tool_codec("jxl", tool, tool_version("cjxl") + "; " + tool_version("djxl"), "distance",
                              {0.5, 0.7, 1, 1.4, 2, 2.8, 4, 5.6, 8, 11, 15});
    lookup.available = true;
    return lookup;
  }
  if (name == "avif") {
    if (tools_missing("avifenc", "avifdec", "libavif-bin")) return lookup;
    ToolCodec tool{"avifenc", "avifdec", "avif",
                   [](double quantizer, const std::string& in, const std::string& out) {
                     const std::string q = format_number(quantizer);
                     return std::vector<std::string>{"avifenc", "--min", q, "--max", q, "-s", "6", "-y", "444",
                                                     "-j", "1", in, out};
                   },
                   [](const std::string& in, const std::string& out) {
                     return std::vector<std::string>{"avifdec", "-j", "1", in, out};
                   }};
    lookup.codec = tool_codec("avif", tool, tool_version("avifenc"), "quantizer",
                              {10, 16, 22, 28, 34, 40, 46, 52, 58});
    lookup.available = true;
    return lookup;
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown baseline '" + name + "' (known: jpeg, webp, jxl, avif)");
}

}  // namespace facet
