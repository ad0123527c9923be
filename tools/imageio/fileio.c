/* Whole-file reads with a size limit, and atomic writes (temp + rename). */
#define _XOPEN_SOURCE 700               /* realpath() */
#include "tools/imageio/imageio.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

int io_fail(char *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, IO_ERR_SIZE, fmt, ap);
    va_end(ap);
    return -1;
}

int io_has_ext(const char *path, const char *ext)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    return dot && dot != base && !strcasecmp(dot + 1, ext);
}

static int read_fd(int fd, size_t max_size, size_t hint, uint8_t **data,
                   size_t *size, char *err)
{
    size_t cap = hint < 65536 ? 65536 : hint + 1;
    size_t len = 0;
    uint8_t *buf;

    if (cap > max_size + 1)
        cap = max_size + 1;
    buf = malloc(cap);
    if (!buf)
        return io_fail(err, "out of memory");
    for (;;) {
        if (len == cap) {
            if (cap > max_size)
                break;                       /* already past the limit */
            size_t ncap = cap > max_size / 2 ? max_size + 1 : cap * 2;
            uint8_t *nbuf = realloc(buf, ncap);
            if (!nbuf) {
                free(buf);
                return io_fail(err, "out of memory");
            }
            buf = nbuf;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            return io_fail(err, "read error: %s", strerror(e));
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    if (len > max_size) {
        free(buf);
        return io_fail(err, "file is larger than the %zu MiB limit",
                       max_size >> 20);
    }
    *data = buf;
    *size = len;
    return 0;
}

int io_read_file(const char *path, size_t max_size, uint8_t **data,
                 size_t *size, char *err)
{
    struct stat st;
    size_t hint = 0;
    int fd, ret;

    *data = NULL;
    *size = 0;
    if (!strcmp(path, "-"))
        return read_fd(STDIN_FILENO, max_size, 0, data, size, err);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return io_fail(err, "cannot open: %s", strerror(errno));
    if (fstat(fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            close(fd);
            return io_fail(err, "is a directory");
        }
        if (S_ISREG(st.st_mode)) {
            if ((uint64_t)st.st_size > max_size) {
                close(fd);
                return io_fail(err, "file is larger than the %zu MiB limit",
                               max_size >> 20);
            }
            hint = (size_t)st.st_size;
        }
    }
    ret = read_fd(fd, max_size, hint, data, size, err);
    close(fd);
    return ret;
}

static int write_all(int fd, const uint8_t *data, size_t size)
{
    while (size > 0) {
        size_t n = size > ((size_t)1 << 30) ? (size_t)1 << 30 : size;
        ssize_t w = write(fd, data, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += w;
        size -= (size_t)w;
    }
    return 0;
}

/* A temporary output file removed if a fatal signal arrives mid-write. */
static char *volatile g_tmp_path;

static const int CLEANUP_SIGNALS[] = { SIGINT, SIGTERM, SIGHUP };
#define NSIG_CLEANUP (sizeof(CLEANUP_SIGNALS) / sizeof(CLEANUP_SIGNALS[0]))

static void on_fatal_signal(int sig)
{
    char *p = g_tmp_path;
    if (p)
        unlink(p);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Installs the cleanup handler where the signal has its default action
 * (an ignored SIGHUP under nohup stays ignored). */
static void catch_signals(struct sigaction *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NSIG_CLEANUP; i++) {
        sigaction(CLEANUP_SIGNALS[i], NULL, &old[i]);
        if (old[i].sa_handler == SIG_DFL)
            sigaction(CLEANUP_SIGNALS[i], &sa, NULL);
    }
}

static void restore_signals(const struct sigaction *old)
{
    for (size_t i = 0; i < NSIG_CLEANUP; i++)
        sigaction(CLEANUP_SIGNALS[i], &old[i], NULL);
}

/* The mode a newly created file would get: 0666 minus the umask. */
static mode_t default_mode(void)
{
    mode_t mask = umask(0);
    umask(mask);
    return 0666 & ~mask;
}

static int write_file_at(const char *path, const uint8_t *data, size_t size,
                         char *err);

int io_write_file(const char *path, const uint8_t *data, size_t size,
                  char *err)
{
    struct stat st;

    /* Through a symbolic link, replace its target, not the link. */
    if (strcmp(path, "-") && lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        char *real = realpath(path, NULL);
        if (real) {
            int r = write_file_at(real, data, size, err);
            free(real);
            return r;
        }
    }
    return write_file_at(path, data, size, err);
}

static int write_file_at(const char *path, const uint8_t *data, size_t size,
                         char *err)
{
    struct stat st;
    mode_t mode;
    int fd;

    if (!strcmp(path, "-")) {
        if (isatty(STDOUT_FILENO))
            return io_fail(err, "refusing to write binary data to a terminal");
        if (write_all(STDOUT_FILENO, data, size) < 0)
            return io_fail(err, "write error: %s", strerror(errno));
        return 0;
    }
    if (path[0] == '\0')
        return io_fail(err, "empty output file name");

    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return io_fail(err, "is a directory");
        if (!S_ISREG(st.st_mode)) {
            /* A device or FIFO: renaming over it would replace it. */
            fd = open(path, O_WRONLY | O_CLOEXEC);
            if (fd < 0)
                return io_fail(err, "cannot open: %s", strerror(errno));
            if (write_all(fd, data, size) < 0) {
                int e = errno;
                close(fd);
                return io_fail(err, "write error: %s", strerror(e));
            }
            if (close(fd) < 0)
                return io_fail(err, "write error: %s", strerror(errno));
            return 0;
        }
        mode = st.st_mode & 07777;
    } else {
        mode = default_mode();
    }

    /* "<dir>/.<name>.XXXXXX" in the directory of path. */
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    size_t len = strlen(path);
    if (len > SIZE_MAX - 16)
        return io_fail(err, "output file name too long");
    char *tmp = malloc(len + 16);
    if (!tmp)
        return io_fail(err, "out of memory");
    memcpy(tmp, path, dirlen);
    snprintf(tmp + dirlen, len + 16 - dirlen, ".%s.XXXXXX", path + dirlen);

    struct sigaction old_sa[NSIG_CLEANUP];
    catch_signals(old_sa);
    fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        restore_signals(old_sa);
        free(tmp);
        return io_fail(err, "cannot create output: %s", strerror(e));
    }
    g_tmp_path = tmp;
    const char *what = NULL;
    if (fchmod(fd, mode) < 0)
        what = "cannot set file mode";
    else if (write_all(fd, data, size) < 0)
        what = "write error";
    else if (fsync(fd) < 0)
        what = "fsync failed";
    int e = errno;
    if (close(fd) < 0 && !what) {
        what = "write error";
        e = errno;
    }
    if (!what && rename(tmp, path) < 0) {
        what = "cannot rename temporary file";
        e = errno;
    }
    if (what)
        unlink(tmp);
    g_tmp_path = NULL;
    restore_signals(old_sa);
    free(tmp);
    if (what)
        return io_fail(err, "%s: %s", what, strerror(e));

    /* Make the rename itself durable; failure here loses nothing. */
    char *dir = dirlen ? strndup(path, dirlen) : NULL;
    int dfd = open(dir ? dir : ".", O_RDONLY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    free(dir);
    return 0;
}
