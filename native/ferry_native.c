// ferry's native addon: POSIX fcntl record locks and syncfs(2), which Node does not expose.
// git-annex guards journal.lck, KEY.lck, ... with fcntl locks (annex-format.md 2.2 and 10.8); flock(2) does not
// interact with them, so ferry must take the very same kind of lock. Only the non-blocking F_SETLK is offered:
// waiting is done by polling from JavaScript so that no thread of the libuv pool is ever parked on a lock.
// syncfs is the one blocking call, run as async work on the pool.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <node_api.h>

#define CHECK(env, call)                                                    \
  do {                                                                      \
    if ((call) != napi_ok) {                                                \
      napi_throw_error((env), "ERR_FERRY_NATIVE", "N-API call failed: " #call); \
      return NULL;                                                          \
    }                                                                       \
  } while (0)

// Names as Node prints them in err.code, so fileSystemError() can translate addon errors like fs errors.
static const char *errno_name(int e) {
  switch (e) {
#define NAME(x) case x: return #x;
    NAME(ENOENT) NAME(EACCES) NAME(EPERM) NAME(EAGAIN) NAME(EBADF) NAME(EINVAL) NAME(EROFS) NAME(ENOSPC)
    NAME(EDQUOT) NAME(EIO) NAME(ENOLCK) NAME(EDEADLK) NAME(EINTR) NAME(EISDIR) NAME(ENOTDIR) NAME(ELOOP)
    NAME(ENAMETOOLONG) NAME(EMFILE) NAME(ENFILE) NAME(EEXIST) NAME(ENODEV) NAME(ENXIO) NAME(ETXTBSY)
    NAME(EOPNOTSUPP) NAME(EFAULT) NAME(ENOMEM) NAME(EOVERFLOW) NAME(ESTALE)
#undef NAME
    default: return "UNKNOWN";
  }
}

// An Error shaped like Node's system errors: code, errno (negative, as Node reports it), syscall, path.
static napi_value errno_error(napi_env env, int err, const char *syscall, const char *path) {
  char msg[4352];
  const char *name = errno_name(err);
  if (path != NULL) snprintf(msg, sizeof msg, "%s: %s, %s '%s'", name, strerror(err), syscall, path);
  else snprintf(msg, sizeof msg, "%s: %s, %s", name, strerror(err), syscall);
  napi_value code, message, error, value;
  if (napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code) != napi_ok) return NULL;
  if (napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message) != napi_ok) return NULL;
  if (napi_create_error(env, code, message, &error) != napi_ok) return NULL;
  if (napi_create_int32(env, -err, &value) == napi_ok) napi_set_named_property(env, error, "errno", value);
  if (napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &value) == napi_ok)
    napi_set_named_property(env, error, "syscall", value);
  if (path != NULL && napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &value) == napi_ok)
    napi_set_named_property(env, error, "path", value);
  return error;
}

static napi_value throw_errno(napi_env env, int err, const char *syscall, const char *path) {
  napi_value error = errno_error(env, err, syscall, path);
  if (error != NULL) napi_throw(env, error);
  return NULL;
}

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (argc < want) {
    napi_throw_type_error(env, "ERR_INVALID_ARG", "missing arguments");
    return 0;
  }
  return 1;
}

static int get_fd(napi_env env, napi_value v, int *fd) {
  if (napi_get_value_int32(env, v, fd) != napi_ok || *fd < 0) {
    napi_throw_type_error(env, "ERR_INVALID_ARG", "fd must be a non-negative integer");
    return 0;
  }
  return 1;
}

// 'read' -> F_RDLCK, 'write' -> F_WRLCK, 'unlock' -> F_UNLCK (only when allow_unlock); -1 after throwing.
static int get_lock_type(napi_env env, napi_value v, int allow_unlock) {
  char buf[8];
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, buf, sizeof buf, &len) == napi_ok) {
    if (strcmp(buf, "read") == 0) return F_RDLCK;
    if (strcmp(buf, "write") == 0) return F_WRLCK;
    if (allow_unlock && strcmp(buf, "unlock") == 0) return F_UNLCK;
  }
  napi_throw_type_error(env, "ERR_INVALID_ARG", allow_unlock ? "type must be 'read', 'write' or 'unlock'"
                                                             : "type must be 'read' or 'write'");
  return -1;
}

// The whole file, now and as it grows: l_len 0 means "to the end, whatever the end becomes", as git-annex does.
static void whole_file(struct flock *fl, int type) {
  memset(fl, 0, sizeof *fl);
  fl->l_type = (short)type;
  fl->l_whence = SEEK_SET;
  fl->l_start = 0;
  fl->l_len = 0;
}

// open(path, writable, create) -> fd
static napi_value js_open(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, 3, argv)) return NULL;
  size_t len = 0;
  bool writable = false, create = false;
  if (napi_get_value_string_utf8(env, argv[0], NULL, 0, &len) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG", "path must be a string");
    return NULL;
  }
  CHECK(env, napi_get_value_bool(env, argv[1], &writable));
  CHECK(env, napi_get_value_bool(env, argv[2], &create));
  char *path = malloc(len + 1);
  if (path == NULL) return throw_errno(env, ENOMEM, "open", NULL);
  if (napi_get_value_string_utf8(env, argv[0], path, len + 1, &len) != napi_ok) {
    free(path);
    napi_throw_error(env, "ERR_FERRY_NATIVE", "cannot read path");
    return NULL;
  }
  // O_CLOEXEC: the many git and git-annex children ferry runs must not inherit lock file descriptors.
  int flags = (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | (create ? O_CREAT : 0);
  int fd;
  do fd = open(path, flags, 0644); while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    int err = errno;
    throw_errno(env, err, "open", path);
    free(path);
    return NULL;
  }
  free(path);
  napi_value result;
  CHECK(env, napi_create_int32(env, fd, &result));
  return result;
}

// setlk(fd, type) -> true when taken (or released), false when another process holds a conflicting lock.
static napi_value js_setlk(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int fd;
  if (!get_args(env, info, 2, argv) || !get_fd(env, argv[0], &fd)) return NULL;
  int type = get_lock_type(env, argv[1], 1);
  if (type < 0) return NULL;
  struct flock fl;
  whole_file(&fl, type);
  int r;
  do r = fcntl(fd, F_SETLK, &fl); while (r < 0 && errno == EINTR);
  // POSIX allows either EAGAIN or EACCES for "held by someone else".
  if (r < 0 && errno != EAGAIN && errno != EACCES) return throw_errno(env, errno, "fcntl(F_SETLK)", NULL);
  napi_value result;
  CHECK(env, napi_get_boolean(env, r == 0, &result));
  return result;
}

// getlk(fd, type) -> { type, pid } of a lock of another process that would block `type`, or null.
static napi_value js_getlk(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int fd;
  if (!get_args(env, info, 2, argv) || !get_fd(env, argv[0], &fd)) return NULL;
  int type = get_lock_type(env, argv[1], 0);
  if (type < 0) return NULL;
  struct flock fl;
  whole_file(&fl, type);
  int r;
  do r = fcntl(fd, F_GETLK, &fl); while (r < 0 && errno == EINTR);
  if (r < 0) return throw_errno(env, errno, "fcntl(F_GETLK)", NULL);
  napi_value result, value;
  if (fl.l_type == F_UNLCK) {
    CHECK(env, napi_get_null(env, &result));
    return result;
  }
  CHECK(env, napi_create_object(env, &result));
  CHECK(env, napi_create_string_utf8(env, fl.l_type == F_WRLCK ? "write" : "read", NAPI_AUTO_LENGTH, &value));
  CHECK(env, napi_set_named_property(env, result, "type", value));
  CHECK(env, napi_create_int32(env, (int32_t)fl.l_pid, &value));
  CHECK(env, napi_set_named_property(env, result, "pid", value));
  return result;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int fd;
  if (!get_args(env, info, 1, argv) || !get_fd(env, argv[0], &fd)) return NULL;
  // On Linux the fd is gone even when close reports EINTR; retrying could close someone else's new fd.
  if (close(fd) != 0 && errno != EINTR) return throw_errno(env, errno, "close", NULL);
  return NULL;
}

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  int fd;
  int err;
} sync_job;

static void sync_execute(napi_env env, void *data) {
  sync_job *job = data;
#ifdef __linux__
  job->err = syncfs(job->fd) == 0 ? 0 : errno;
#else
  // No per-file-system flush elsewhere: flush everything, which is stronger and slower.
  sync();
  job->err = 0;
#endif
}

static void sync_complete(napi_env env, napi_status status, void *data) {
  sync_job *job = data;
  napi_value value = NULL;
  if (status != napi_ok) job->err = EINTR;
  if (job->err == 0) {
    napi_get_undefined(env, &value);
    napi_resolve_deferred(env, job->deferred, value);
  } else {
    value = errno_error(env, job->err, "syncfs", NULL);
    if (value == NULL) napi_get_undefined(env, &value);
    napi_reject_deferred(env, job->deferred, value);
  }
  napi_delete_async_work(env, job->work);
  free(job);
}

// syncfs(fd) -> Promise<void>: flushes the whole file system holding fd, on the libuv pool.
static napi_value js_syncfs(napi_env env, napi_callback_info info) {
  napi_value argv[1], promise, name;
  int fd;
  if (!get_args(env, info, 1, argv) || !get_fd(env, argv[0], &fd)) return NULL;
  sync_job *job = calloc(1, sizeof *job);
  if (job == NULL) return throw_errno(env, ENOMEM, "syncfs", NULL);
  job->fd = fd;
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, "ferry:syncfs", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, sync_execute, sync_complete, job, &job->work) != napi_ok) {
    free(job);
    napi_throw_error(env, "ERR_FERRY_NATIVE", "cannot start syncfs");
    return NULL;
  }
  if (napi_queue_async_work(env, job->work) != napi_ok) {
    napi_delete_async_work(env, job->work);
    free(job);
    napi_throw_error(env, "ERR_FERRY_NATIVE", "cannot queue syncfs");
    return NULL;
  }
  return promise;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setlk", NULL, js_setlk, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getlk", NULL, js_getlk, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"syncfs", NULL, js_syncfs, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CHECK(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
