#include "sink/parquet/parquet_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "sink/sink_text.h"

namespace sluice::parquet_sink {
namespace {

using Json = nlohmann::json;

Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("cannot write " + path, errno);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

}  // namespace

std::string TemporaryPath(const std::string& folder, const std::string& path) {
  return folder + "/." + path.substr(path.rfind('/') + 1) + ".tmp";
}

std::string FileName(std::string_view name) {
  std::string out = PercentEncode(name);
  if (!out.empty() && (out[0] == '.' || out[0] == '_')) {
    out = (out[0] == '.' ? "%2E" : "%5F") + out.substr(1);
  }
  return out;
}

Status CheckFileName(std::string_view name, std::string_view what) {
  if (FileName(name).size() <= kMaxEncodedName) return Status::Ok();
  return Status::InvalidArgument("parquet sink: " + std::string(what) + " \"" + std::string(name) +
                                 "\" is too long for a file name (at most " +
                                 std::to_string(kMaxEncodedName) + " bytes percent-encoded)");
}

Status ErrnoStatus(const std::string& what, int error) {
  std::string message = "parquet sink: " + what + ": " + std::strerror(error);
  if (error == EACCES || error == EPERM || error == EROFS) {
    return Status::PermissionDenied(std::move(message));
  }
  return Status::Unavailable(std::move(message));
}

Status MakeDirectory(const std::string& path) {
  if (::mkdir(path.c_str(), 0777) == 0 || errno == EEXIST) return Status::Ok();
  return ErrnoStatus("cannot create folder " + path, errno);
}

Status SyncDirectory(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid() || ::fsync(fd.get()) != 0) return ErrnoStatus("cannot sync " + path, errno);
  return Status::Ok();
}

Status PublishFile(int fd, const std::string& from, const std::string& to,
                   const std::string& folder, bool sync_folder) {
  if (::fsync(fd) != 0) return ErrnoStatus("cannot sync " + from, errno);
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return ErrnoStatus("cannot rename " + from + " to " + to, errno);
  }
  return sync_folder ? SyncDirectory(folder) : Status::Ok();
}

Status WriteFileDurably(const std::string& folder, const std::string& path,
                        std::string_view content, bool sync_folder) {
  const std::string temp = TemporaryPath(folder, path);
  UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
  if (!fd.valid()) return ErrnoStatus("cannot create " + temp, errno);
  Status status = WriteAll(fd.get(), content, temp);
  if (status.ok()) status = PublishFile(fd.get(), temp, path, folder, sync_folder);
  if (!status.ok()) RemoveQuietly(temp);
  return status;
}

Result<std::optional<std::string>> ReadWholeFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return std::optional<std::string>();
    return ErrnoStatus("cannot open " + path, errno);
  }
  std::string out;
  char buffer[65536];
  while (true) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("cannot read " + path, errno);
    if (n == 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  return std::optional<std::string>(std::move(out));
}

void RemoveQuietly(const std::string& path) { (void)::unlink(path.c_str()); }

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

Result<std::vector<std::string>> ListDirectory(const std::string& path) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) {
    if (errno == ENOENT) return names;
    return ErrnoStatus("cannot list " + path, errno);
  }
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(dir);
  return names;
}

Result<UniqueFd> LockFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666));
  if (!fd.valid()) return ErrnoStatus("cannot open " + path, errno);
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return ErrnoStatus("cannot lock " + path, errno);
  }
  return fd;
}

std::string SchemaJson(const TableDef& table) {
  Json columns = Json::array();
  for (const ColumnDef& c : table.columns) {
    columns.push_back({{"name", c.name},
                       {"type", std::string(ColumnTypeName(c.type))},
                       {"nullable", c.nullable}});
  }
  const Json doc = {{"table", table.name}, {"columns", columns}, {"key", table.key}};
  return doc.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

Result<TableDef> ParseSchemaJson(std::string_view text, const std::string& path) {
  try {
    const Json doc = Json::parse(text);
    TableDef table;
    table.name = doc.at("table").get<std::string>();
    for (const Json& c : doc.at("columns")) {
      const auto type = ParseColumnType(c.at("type").get<std::string>());
      if (!type) return Status::Internal("parquet sink: " + path + ": unknown column type");
      table.columns.push_back(
          {c.at("name").get<std::string>(), *type, c.at("nullable").get<bool>()});
    }
    table.key = doc.at("key").get<std::vector<std::string>>();
    return table;
  } catch (const Json::exception& e) {
    return Status::Internal("parquet sink: " + path + " does not parse: " + e.what());
  }
}

std::string MarkerJson(const Marker& marker) {
  Json doc = {{"load_id", marker.load_id}, {"file", marker.file}, {"rows", marker.rows},
              {"table", marker.table},     {"data", marker.data}, {"group", marker.group}};
  if (!marker.side.empty()) doc["side"] = marker.side;
  return doc.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

Result<Marker> ParseMarkerJson(std::string_view text, const std::string& path) {
  try {
    const Json doc = Json::parse(text);
    Marker marker;
    marker.load_id = doc.at("load_id").get<std::string>();
    marker.file = doc.at("file").get<std::string>();
    marker.rows = doc.at("rows").get<uint64_t>();
    marker.table = doc.at("table").get<std::string>();
    marker.data = doc.at("data").get<std::string>();
    marker.group = doc.at("group").get<std::vector<std::string>>();
    if (doc.contains("side")) marker.side = doc.at("side").get<std::string>();
    return marker;
  } catch (const Json::exception& e) {
    return Status::Internal("parquet sink: " + path + " does not parse: " + e.what());
  }
}

}  // namespace sluice::parquet_sink
