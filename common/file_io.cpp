// Whole-file reads with a size limit, and atomic writes through a temporary file and rename().
#include "common/file_io.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdio.h>  // renameat2
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace facet {
namespace {

Status io_error(const std::string& what, const std::string& path) {
  return make_error(ErrorCode::kIo, what + " '" + path + "': " + std::strerror(errno));
}

// Reads fd to the end, refusing more than max_bytes.
Status read_all(int fd, const std::string& path, uint64_t max_bytes, Bytes* out) {
  uint8_t chunk[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot read", path);
    }
    if (n == 0) return ok_status();
    FACET_RETURN_ERROR_IF(out->size() + uint64_t(n) > max_bytes, kLimitExceeded,
                          "'" + path + "' is larger than " + std::to_string(max_bytes) + " bytes");
    out->insert(out->end(), chunk, chunk + n);
  }
}

Status write_all(int fd, const uint8_t* data, size_t size, const std::string& path) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot write", path);
    }
    data += n;
    size -= size_t(n);
  }
  return ok_status();
}

std::string directory_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

StatusOr<Bytes> read_file(const std::string& path, uint64_t max_bytes) {
  Bytes out;
  if (path == "-") {
    FACET_RETURN_IF_ERROR(read_all(STDIN_FILENO, "<stdin>", max_bytes, &out));
    return out;
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open", path);
  struct stat st;
  if (::fstat(fd, &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      ::close(fd);
      return make_error(ErrorCode::kIo, "'" + path + "' is a directory");
    }
    if (S_ISREG(st.st_mode)) {
      if (uint64_t(st.st_size) > max_bytes) {
        ::close(fd);
        return make_error(ErrorCode::kLimitExceeded, "'" + path + "' is larger than " +
                                                         std::to_string(max_bytes) + " bytes");
      }
      out.reserve(size_t(st.st_size));
    }
  }
  Status status = read_all(fd, path, max_bytes, &out);
  ::close(fd);
  FACET_RETURN_IF_ERROR(status);
  return out;
}

Status write_file_atomic(const std::string& path, const uint8_t* data, size_t size,
                         const WriteOptions& options) {
  if (path == "-") {
    FACET_RETURN_ERROR_IF(!options.allow_terminal && ::isatty(STDOUT_FILENO), kInvalidArgument,
                          "refusing to write binary data to a terminal (redirect stdout or use -o FILE)");
    FACET_RETURN_IF_ERROR(write_all(STDOUT_FILENO, data, size, "<stdout>"));
    return ok_status();
  }
  FACET_RETURN_ERROR_IF(path.empty(), kInvalidArgument, "empty output path");
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    FACET_RETURN_ERROR_IF(S_ISDIR(st.st_mode), kInvalidArgument, "'" + path + "' is a directory");
    FACET_RETURN_ERROR_IF(!options.overwrite, kInvalidArgument,
                          "'" + path + "' exists; use -f to overwrite it");
  }

  // The temporary file lives in the target's directory so rename() is atomic (same filesystem).
  std::string temp = directory_of(path) + "/.facet-XXXXXX";
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) return io_error("cannot create a temporary file in", directory_of(path));
  Status status = write_all(fd, data, size, temp);
  if (status.ok() && ::fchmod(fd, 0666 & ~[] { mode_t m = ::umask(0); ::umask(m); return m; }()) != 0)
    status = io_error("cannot set permissions of", temp);
  if (status.ok() && ::fsync(fd) != 0) status = io_error("cannot flush", temp);
  if (::close(fd) != 0 && status.ok()) status = io_error("cannot close", temp);
  if (status.ok()) {
    // Without -f, an output that appeared since the check above is still not replaced.
    int renamed = options.overwrite ? ::rename(temp.c_str(), path.c_str())
                                    : ::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, path.c_str(),
                                                  RENAME_NOREPLACE);
    if (renamed != 0 && !options.overwrite && errno == EINVAL)  // filesystem without NOREPLACE
      renamed = ::rename(temp.c_str(), path.c_str());
    if (renamed != 0)
      status = errno == EEXIST ? make_error(ErrorCode::kInvalidArgument,
                                            "'" + path + "' exists; use -f to overwrite it")
                               : io_error("cannot rename to", path);
  }
  if (!status.ok()) ::unlink(temp.c_str());
  return status;
}

}  // namespace facet
