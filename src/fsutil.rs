//! Writing files so that readers never see a half-written one: write a
//! temporary file beside the target, fsync it, then rename it into place.
//!
//! The temporary file is created with `O_EXCL` under an unpredictable name
//! (the `tempfile` crate), so that nobody who can write the directory can
//! plant a link that makes us overwrite another file. It takes the mode and
//! owner of the file it replaces. An output that is a symbolic link is
//! written through: the link stays, and the file it points to is replaced
//! (as `sed -i --follow-symlinks` does). The temporary file is removed on
//! error, on drop, and on SIGINT/SIGTERM (once a program calls
//! [`remove_temp_files_on_signals`]); one left by a process that was
//! killed outright is removed by the next write of the same output.

use std::ffi::CString;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicPtr, Ordering};

/// A file being written beside its target; [`AtomicFile::commit`] renames
/// it into place, and dropping it uncommitted removes it.
pub struct AtomicFile {
    target: PathBuf,
    writer: Option<BufWriter<tempfile::NamedTempFile>>,
    tmp: PathBuf,
    cleanup_slot: Option<usize>,
}

fn dir_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The file a write to `path` replaces: `path` itself, or the end of the
/// chain of symbolic links it names.
fn resolve_target(path: &Path) -> io::Result<PathBuf> {
    let mut target = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&target) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = fs::read_link(&target)?;
                target = if link.is_absolute() {
                    link
                } else {
                    dir_of(&target).join(link)
                };
            }
            Ok(meta) if meta.is_dir() => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{} is a directory", path.display()),
                ));
            }
            _ => return Ok(target),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{}: too many levels of symbolic links", path.display()),
    ))
}

/// The prefix of our temporary files for `name` written by process `pid`.
fn temp_prefix(name: &str, pid: u32) -> String {
    format!(".{name}.{pid}.")
}

/// Removes temporary files for `name` in `dir` left by processes that no
/// longer run (a SIGKILL leaves them).
fn remove_stale(dir: &Path, name: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let start = format!(".{name}.");
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name
            .to_str()
            .and_then(|n| n.strip_prefix(&start))
            .and_then(|n| n.strip_suffix(".tmp"))
        else {
            continue;
        };
        let Some(pid) = rest.split('.').next().and_then(|p| p.parse::<i32>().ok()) else {
            continue;
        };
        // SAFETY: kill with signal 0 only asks whether the process exists.
        let gone = unsafe { libc::kill(pid, 0) } != 0
            && io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
        if gone && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

impl AtomicFile {
    pub fn create(path: &Path) -> io::Result<AtomicFile> {
        let target = resolve_target(path)?;
        let name = target
            .file_name()
            .ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, "output path has no file name")
            })?
            .to_string_lossy()
            .into_owned();
        let dir = dir_of(&target);
        remove_stale(&dir, &name);
        let existing = fs::metadata(&target).ok();
        // A new file gets 0666 less the umask, as any program's would; a
        // replaced one keeps its mode.
        let mode = existing.as_ref().map_or(0o666, |m| m.mode() & 0o7777);
        let file = tempfile::Builder::new()
            .prefix(&temp_prefix(&name, std::process::id()))
            .suffix(".tmp")
            .permissions(fs::Permissions::from_mode(mode))
            .tempfile_in(&dir)?;
        if let Some(meta) = &existing {
            // The mode again (the umask may have narrowed it), and the
            // owner where we may set it (as root).
            let _ = file
                .as_file()
                .set_permissions(fs::Permissions::from_mode(mode));
            let _ = std::os::unix::fs::fchown(file.as_file(), Some(meta.uid()), Some(meta.gid()));
        }
        let tmp = file.path().to_path_buf();
        let cleanup_slot = cleanup::register(&tmp);
        Ok(AtomicFile {
            target,
            writer: Some(BufWriter::with_capacity(1 << 18, file)),
            tmp,
            cleanup_slot,
        })
    }

    pub fn writer(&mut self) -> &mut BufWriter<tempfile::NamedTempFile> {
        self.writer.as_mut().expect("not committed")
    }

    /// The temporary file, complete once [`AtomicFile::flush`] returned.
    pub fn temp_path(&self) -> &Path {
        &self.tmp
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.writer().flush()
    }

    /// Flushes, fsyncs and renames the file into place.
    pub fn commit(mut self) -> io::Result<()> {
        let writer = self.writer.take().expect("committed once");
        let file = writer.into_inner().map_err(|e| e.into_error())?;
        file.as_file().sync_all()?;
        // On failure the temporary file is removed when `persist`'s error
        // is dropped.
        file.persist(&self.target).map_err(|e| e.error)?;
        if let Ok(d) = File::open(dir_of(&self.target)) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        // An uncommitted NamedTempFile removes itself when dropped.
        drop(self.writer.take());
        if let Some(slot) = self.cleanup_slot.take() {
            cleanup::unregister(slot);
        }
    }
}

/// Temporary files to remove if SIGINT or SIGTERM ends the process: a
/// fixed table of C strings that the signal handler reads without locks
/// (unlink is async-signal-safe; nothing else the handler does allocates).
mod cleanup {
    use super::*;

    const SLOTS: usize = 64;
    static PATHS: [AtomicPtr<libc::c_char>; SLOTS] =
        [const { AtomicPtr::new(std::ptr::null_mut()) }; SLOTS];
    static INSTALLED: std::sync::Once = std::sync::Once::new();

    extern "C" fn on_signal(signal: libc::c_int) {
        for slot in &PATHS {
            let path = slot.swap(std::ptr::null_mut(), Ordering::SeqCst);
            if !path.is_null() {
                // SAFETY: the pointer came from CString::into_raw and is
                // still owned by the table; unlink only reads it.
                unsafe { libc::unlink(path) };
            }
        }
        // SAFETY: restoring the default action and raising the signal again
        // ends the process as the signal would have.
        unsafe {
            libc::signal(signal, libc::SIG_DFL);
            libc::raise(signal);
        }
    }

    pub fn install() {
        INSTALLED.call_once(|| {
            let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            // SAFETY: the handler only calls async-signal-safe functions.
            unsafe {
                libc::signal(libc::SIGINT, handler);
                libc::signal(libc::SIGTERM, handler);
            }
        });
    }

    /// Registers a path; `None` when the table is full (the file is then
    /// still removed on error and by the next run, just not on a signal).
    pub fn register(path: &Path) -> Option<usize> {
        let raw = CString::new(path.as_os_str().as_bytes()).ok()?.into_raw();
        for (i, slot) in PATHS.iter().enumerate() {
            if slot
                .compare_exchange(
                    std::ptr::null_mut(),
                    raw,
                    Ordering::SeqCst,
                    Ordering::SeqCst,
                )
                .is_ok()
            {
                return Some(i);
            }
        }
        // SAFETY: `raw` came from into_raw above and was never shared.
        drop(unsafe { CString::from_raw(raw) });
        None
    }

    pub fn unregister(slot: usize) {
        let raw = PATHS[slot].swap(std::ptr::null_mut(), Ordering::SeqCst);
        if !raw.is_null() {
            // SAFETY: `raw` came from into_raw in register.
            drop(unsafe { CString::from_raw(raw) });
        }
    }
}

/// Makes SIGINT and SIGTERM remove the temporary files of writes under
/// way before the process ends. A program calls it once at start; the
/// library does not take over signals by itself (a server has its own use
/// for SIGTERM).
pub fn remove_temp_files_on_signals() {
    cleanup::install();
}

/// Opens a file for reading, refusing anything but a regular file: a FIFO
/// or a device named where a file is expected would block or never end.
/// The open itself does not block (`O_NONBLOCK`, which means nothing for a
/// regular file).
pub fn open_regular(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let kind = file.metadata()?.file_type();
    if !kind.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("not a regular file ({})", file_kind(&kind)),
        ));
    }
    Ok(file)
}

/// What a file that is not a regular file is, in words.
pub fn file_kind(kind: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_block_device() || kind.is_char_device() {
        "a device"
    } else if kind.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// Reads a regular file of at most `max` bytes as text: key files, TSIG
/// files, tables. A larger one (`/dev/zero` named by mistake, or on
/// purpose) is an error, not a memory exhaustion.
pub fn read_bounded(path: &Path, max: u64) -> io::Result<String> {
    use std::io::Read;
    let file = open_regular(path)?;
    let mut text = String::new();
    file.take(max + 1).read_to_string(&mut text)?;
    if text.len() as u64 > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {max} bytes, more than such a file holds"),
        ));
    }
    Ok(text)
}

/// The most bytes of a key file (`.key`, `.private`, PEM): an RSA-4096
/// `.private` is under 4 KiB.
pub const MAX_KEY_FILE: u64 = 64 << 10;
/// The most bytes of a TSIG key file (BIND or Knot configuration).
pub const MAX_TSIG_FILE: u64 = 1 << 20;
/// The most bytes of an IP-to-AS table (ip2asn-combined is about 30 MB).
pub const MAX_ASN_TABLE: u64 = 512 << 20;
/// The most bytes of a list of domains.
pub const MAX_DOMAIN_LIST: u64 = 64 << 20;

/// The operating system's reason for an I/O error, in words and without
/// the error number Rust appends (`No such file or directory`).
pub fn io_reason(error: &io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// Writes `path` atomically with the bytes `fill` produces.
pub fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let mut file = AtomicFile::create(path)?;
    fill(file.writer())?;
    file.commit()
}

/// The most versions `--keep` may ask for.
pub const MAX_KEPT_VERSIONS: usize = 1000;

/// Keeps the last `keep` versions of `path` as `path.1` (newest) to
/// `path.N`, before a new version replaces it. The current file stays in
/// place (hard-linked), so that there is never a moment without it. The
/// versions there are found by listing the directory, so that the work is
/// proportional to what exists, not to `keep`.
pub fn rotate_versions(path: &Path, keep: usize) -> io::Result<()> {
    let keep = keep.min(MAX_KEPT_VERSIONS);
    if keep == 0 || !path.exists() {
        return Ok(());
    }
    let numbered = |i: usize| {
        let mut name = path.as_os_str().to_owned();
        name.push(format!(".{i}"));
        PathBuf::from(name)
    };
    let base = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut versions: Vec<usize> = fs::read_dir(dir_of(path))?
        .flatten()
        .filter_map(|e| {
            let name = e.file_name();
            let number = name.to_str()?.strip_prefix(&base)?.strip_prefix('.')?;
            number.parse::<usize>().ok().filter(|n| *n >= 1)
        })
        .collect();
    versions.sort_unstable_by(|a, b| b.cmp(a));
    for &n in &versions {
        if n >= keep {
            fs::remove_file(numbered(n))?;
        } else {
            fs::rename(numbered(n), numbered(n + 1))?;
        }
    }
    fs::hard_link(path, numbered(1)).or_else(|_| fs::copy(path, numbered(1)).map(|_| ()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replaced_file_keeps_its_mode_and_a_link_is_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.zone");
        fs::write(&real, "old\n").unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o600)).unwrap();
        let link = dir.path().join("link.zone");
        std::os::unix::fs::symlink("real.zone", &link).unwrap();
        write_atomically(&link, |w| w.write_all(b"new\n")).unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&real).unwrap(), "new\n");
        assert_eq!(fs::metadata(&real).unwrap().mode() & 0o777, 0o600);
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(left.len(), 2, "a temporary file was left");
    }

    #[test]
    fn a_failed_rename_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out");
        fs::create_dir(&target).unwrap();
        assert!(write_atomically(&target, |w| w.write_all(b"x")).is_err());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn temporary_files_of_dead_processes_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        // No process has pid 2^22 + 1 on Linux (pid_max is at most 2^22).
        let stale = dir.path().join(".out.zone.4194305.abcdef.tmp");
        fs::write(&stale, "half").unwrap();
        let mine = dir
            .path()
            .join(format!(".out.zone.{}.abcdef.tmp", std::process::id()));
        fs::write(&mine, "in use").unwrap();
        write_atomically(&dir.path().join("out.zone"), |w| w.write_all(b"x")).unwrap();
        assert!(!stale.exists());
        assert!(mine.exists(), "a live process's file was removed");
    }

    #[test]
    fn rotation_lists_what_exists() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("z");
        fs::write(&path, "v3").unwrap();
        fs::write(dir.path().join("z.1"), "v2").unwrap();
        fs::write(dir.path().join("z.2"), "v1").unwrap();
        let started = std::time::Instant::now();
        rotate_versions(&path, usize::MAX).unwrap();
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        assert_eq!(fs::read_to_string(dir.path().join("z.1")).unwrap(), "v3");
        assert_eq!(fs::read_to_string(dir.path().join("z.3")).unwrap(), "v1");
        rotate_versions(&path, 2).unwrap();
        assert!(!dir.path().join("z.3").exists());
        assert!(!dir.path().join("z.4").exists());
        assert_eq!(fs::read_to_string(dir.path().join("z.2")).unwrap(), "v3");
    }
}
