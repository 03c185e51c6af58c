//! Writing files so that readers never see a half-written one: write a
//! temporary file beside the target, fsync it, then rename it into place.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file being written beside its target; [`AtomicFile::commit`] renames
/// it into place, and dropping it uncommitted removes it.
pub struct AtomicFile {
    tmp: PathBuf,
    target: PathBuf,
    writer: Option<BufWriter<File>>,
}

fn dir_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

impl AtomicFile {
    pub fn create(path: &Path) -> io::Result<AtomicFile> {
        let file_name = path.file_name().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "output path has no file name")
        })?;
        let tmp = dir_of(path).join(format!(
            ".{}.tmp.{}",
            file_name.to_string_lossy(),
            std::process::id()
        ));
        let file = File::create(&tmp)?;
        Ok(AtomicFile {
            tmp,
            target: path.to_path_buf(),
            writer: Some(BufWriter::with_capacity(1 << 18, file)),
        })
    }

    pub fn writer(&mut self) -> &mut BufWriter<File> {
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
        file.sync_all()?;
        fs::rename(&self.tmp, &self.target)?;
        if let Ok(d) = File::open(dir_of(&self.target)) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

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

/// Keeps the last `keep` versions of `path` as `path.1` (newest) to
/// `path.N`, before a new version replaces it. The current file stays in
/// place (hard-linked), so that there is never a moment without it.
pub fn rotate_versions(path: &Path, keep: usize) -> io::Result<()> {
    if keep == 0 || !path.exists() {
        return Ok(());
    }
    let numbered = |i: usize| {
        let mut name = path.as_os_str().to_owned();
        name.push(format!(".{i}"));
        PathBuf::from(name)
    };
    let _ = fs::remove_file(numbered(keep));
    for i in (1..keep).rev() {
        let from = numbered(i);
        if from.exists() {
            fs::rename(&from, numbered(i + 1))?;
        }
    }
    fs::hard_link(path, numbered(1)).or_else(|_| fs::copy(path, numbered(1)).map(|_| ()))
}
