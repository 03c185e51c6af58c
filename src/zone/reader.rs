//! Reader for RFC 1035 §5 master files, with the extensions operators use:
//! `$TTL` (RFC 2308 §4), `$INCLUDE`, `$ORIGIN`, BIND's `$GENERATE`, TTL units,
//! and the RFC 3597 generic rdata form.
//!
//! The reader streams the file line by line with a bound on line and entry
//! length, so a binary file or a 2 GB line costs bounded memory. It reports
//! every error it finds (up to a cap) with file, line and column, and keeps
//! going after each bad record so that one pass shows all of them.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender};

use super::name::Name;
use super::rdata::{self, Token, parse_number, parse_period};
use super::rtype::{RType, class_from_text};
use super::{Diagnostic, Pos, Record, Severity, quote_token};

/// Longest physical line, and longest logical entry across parentheses.
pub const MAX_LINE: usize = 1 << 20;
/// TTL for records when neither the record, `$TTL` nor an earlier record gives one.
pub const DEFAULT_TTL: u32 = 3600;
/// Deepest `$INCLUDE` nesting.
pub const MAX_INCLUDE_DEPTH: usize = 16;

#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Origin to start with; without one the first SOA owner must be absolute.
    pub origin: Option<Name>,
    /// Origin for relative names when neither `origin` nor `$ORIGIN` gives
    /// one (Knot takes it from the file name).
    pub fallback_origin: Option<Name>,
    pub class: u16,
    /// Stop after this many errors.
    pub max_errors: usize,
    /// Most records one `$GENERATE` may produce.
    pub max_generate: u64,
    /// Bytes read so far (of the top file), for a caller's progress display.
    pub progress: Option<Arc<AtomicU64>>,
    /// `$INCLUDE`d files must resolve inside this directory (links
    /// followed); `None` allows any, as BIND does.
    pub include_root: Option<PathBuf>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            origin: None,
            fallback_origin: None,
            class: 1,
            max_errors: 100,
            max_generate: 1_000_000,
            progress: None,
            include_root: None,
        }
    }
}

/// Everything read from a zone file and its includes.
#[derive(Debug, Default)]
pub struct ReadOutcome {
    pub records: Vec<Record>,
    /// Files by the index used in [`Pos::file`].
    pub files: Vec<PathBuf>,
    pub diagnostics: Vec<Diagnostic>,
    /// The origin in force at the start (given, or taken from the first SOA).
    pub origin: Option<Name>,
}

impl ReadOutcome {
    pub fn error_count(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }
}

#[derive(Clone, Copy)]
struct Tok {
    start: u32,
    end: u32,
    quoted: bool,
    line: u32,
    column: u32,
}

/// Splits a file into logical entries (lines joined by parentheses) of
/// tokens. It runs beside the parser on a thread of its own for large files.
struct Lexer {
    line_buf: Vec<u8>,
    entry: Vec<u8>,
    toks: Vec<Tok>,
    /// Lines read so far.
    line: u32,
    /// Bytes read, for a caller's progress display.
    progress: Option<Arc<AtomicU64>>,
}

type EntryResult = Result<Option<bool>, (u32, u32, String)>;

impl Lexer {
    fn new(progress: Option<Arc<AtomicU64>>) -> Lexer {
        Lexer {
            line_buf: Vec::with_capacity(256),
            entry: Vec::with_capacity(256),
            toks: Vec::with_capacity(16),
            line: 0,
            progress,
        }
    }

    /// Reads one physical line into `line_buf`. `Ok(false)` at end of file.
    fn read_line(&mut self, reader: &mut dyn BufRead) -> Result<bool, String> {
        self.line_buf.clear();
        let n = reader
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut self.line_buf)
            .map_err(|e| format!("read error: {e}"))?;
        if let Some(progress) = &self.progress {
            progress.fetch_add(n as u64, Ordering::Relaxed);
        }
        if n == 0 {
            return Ok(false);
        }
        self.line += 1;
        if self.line_buf.len() > MAX_LINE && self.line_buf.last() != Some(&b'\n') {
            return Err(format!(
                "line longer than {MAX_LINE} bytes; is this a zone file?"
            ));
        }
        while matches!(self.line_buf.last(), Some(b'\n' | b'\r')) {
            self.line_buf.pop();
        }
        Ok(true)
    }

    /// Tokenizes one logical entry (lines joined by parentheses). Returns
    /// whether the entry began with blank space (inherited owner), or
    /// `None` at end of file.
    fn read_entry(&mut self, reader: &mut dyn BufRead) -> Result<Option<bool>, (u32, u32, String)> {
        self.entry.clear();
        self.toks.clear();
        let mut depth = 0u32;
        let mut blank_owner = false;
        let mut first_line = true;
        let mut open_line = 0;
        loop {
            let line_no = self.line + 1;
            match self.read_line(reader) {
                Ok(true) => {}
                Ok(false) => {
                    if depth > 0 {
                        return Err((
                            open_line,
                            0,
                            "unbalanced parentheses: end of file inside ( )".into(),
                        ));
                    }
                    return Ok(if self.toks.is_empty() {
                        None
                    } else {
                        Some(blank_owner)
                    });
                }
                Err(message) => {
                    return Err((
                        line_no,
                        0,
                        format!("{message} (fatal: {MAX_LINE}-byte limit)"),
                    ));
                }
            }
            if first_line {
                blank_owner = matches!(self.line_buf.first(), Some(b' ' | b'\t'));
            }
            let before = self.toks.len();
            self.tokenize_line(line_no, &mut depth, &mut open_line)?;
            if first_line && self.toks.len() == before && depth == 0 {
                continue; // blank or comment-only line
            }
            first_line = false;
            if self.entry.len() > MAX_LINE {
                return Err((
                    line_no,
                    0,
                    format!("record longer than {MAX_LINE} bytes (fatal: {MAX_LINE}-byte limit)"),
                ));
            }
            if depth == 0 {
                if self.toks.is_empty() {
                    // Only parentheses, e.g. "(" and ")" on lines of their
                    // own: an empty entry, as a blank line is.
                    first_line = true;
                    continue;
                }
                return Ok(Some(blank_owner));
            }
        }
    }

    fn tokenize_line(
        &mut self,
        line_no: u32,
        depth: &mut u32,
        open_line: &mut u32,
    ) -> Result<(), (u32, u32, String)> {
        let line = std::mem::take(&mut self.line_buf);
        let result = self.tokenize(&line, line_no, depth, open_line);
        self.line_buf = line;
        result
    }

    pub(crate) fn tokenize(
        &mut self,
        line: &[u8],
        line_no: u32,
        depth: &mut u32,
        open_line: &mut u32,
    ) -> Result<(), (u32, u32, String)> {
        let mut i = 0;
        while i < line.len() {
            let c = line[i];
            match c {
                b' ' | b'\t' | b'\r' => i += 1,
                0 => {
                    return Err((
                        line_no,
                        i as u32 + 1,
                        "NUL byte in input (is this a binary file?)".into(),
                    ));
                }
                b';' => break,
                b'(' => {
                    if *depth == 0 {
                        *open_line = line_no;
                    }
                    *depth += 1;
                    i += 1;
                }
                b')' => {
                    if *depth == 0 {
                        return Err((
                            line_no,
                            i as u32 + 1,
                            "unbalanced parentheses: ')' without '('".into(),
                        ));
                    }
                    *depth -= 1;
                    i += 1;
                }
                _ => {
                    let column = i as u32 + 1;
                    let start = self.entry.len() as u32;
                    let quoted = c == b'"';
                    if quoted {
                        i = self.read_quoted(line, i + 1, line_no, column)?;
                    } else {
                        while i < line.len() {
                            let c = line[i];
                            match c {
                                b' ' | b'\t' | b'\r' | b';' | b'(' | b')' => break,
                                0 => {
                                    return Err((
                                        line_no,
                                        i as u32 + 1,
                                        "NUL byte in input (is this a binary file?)".into(),
                                    ));
                                }
                                b'\\' => {
                                    self.entry.push(c);
                                    if let Some(&next) = line.get(i + 1) {
                                        self.entry.push(next);
                                    }
                                    i += 2;
                                }
                                // A quoted part inside a word (`key="value"`) joins the word.
                                b'"' => i = self.read_quoted(line, i + 1, line_no, i as u32 + 1)?,
                                _ => {
                                    // Copy the run of ordinary bytes at once.
                                    let run = line[i..]
                                        .iter()
                                        .position(|&b| {
                                            matches!(
                                                b,
                                                b' ' | b'\t'
                                                    | b'\r'
                                                    | b';'
                                                    | b'('
                                                    | b')'
                                                    | 0
                                                    | b'\\'
                                                    | b'"'
                                            )
                                        })
                                        .unwrap_or(line.len() - i);
                                    self.entry.extend_from_slice(&line[i..i + run]);
                                    i += run;
                                }
                            }
                        }
                    }
                    self.toks.push(Tok {
                        start,
                        end: self.entry.len() as u32,
                        quoted,
                        line: line_no,
                        column,
                    });
                }
            }
        }
        Ok(())
    }

    /// Copies a quoted string's content (escapes kept) and returns the index
    /// just after the closing quote.
    fn read_quoted(
        &mut self,
        line: &[u8],
        mut i: usize,
        line_no: u32,
        column: u32,
    ) -> Result<usize, (u32, u32, String)> {
        while i < line.len() {
            match line[i] {
                b'"' => return Ok(i + 1),
                b'\\' if i + 1 < line.len() => {
                    self.entry.extend_from_slice(&line[i..i + 2]);
                    i += 2;
                }
                0 => {
                    return Err((
                        line_no,
                        i as u32 + 1,
                        "NUL byte in input (is this a binary file?)".into(),
                    ));
                }
                c => {
                    self.entry.push(c);
                    i += 1;
                }
            }
        }
        Err((
            line_no,
            column,
            "unbalanced quotes: string not closed on this line".into(),
        ))
    }
}

/// Entries lexed ahead by a thread: their bytes and tokens back to back.
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    toks: Vec<Tok>,
    /// (end of bytes, end of toks, result) of each entry, in order.
    items: Vec<(usize, usize, EntryResult)>,
}

const BATCH_ENTRIES: usize = 1024;

/// Lexes `reader` on a thread of its own, handing batches of entries over
/// a bounded channel (so memory stays bounded however large the file);
/// emptied batches come back for reuse, so their buffers are not churned.
fn spawn_lexer(
    mut reader: Box<dyn BufRead + Send>,
    progress: Option<Arc<AtomicU64>>,
) -> (Receiver<Batch>, SyncSender<Batch>) {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(4);
    let (recycle_tx, recycle_rx) = std::sync::mpsc::sync_channel::<Batch>(4);
    std::thread::spawn(move || {
        let mut lexer = Lexer::new(progress);
        let mut batch = Batch::default();
        loop {
            let result = lexer.read_entry(&mut *reader);
            let last = matches!(&result, Ok(None))
                || matches!(&result, Err((_, _, m)) if m.contains("(fatal:"));
            batch.bytes.extend_from_slice(&lexer.entry);
            batch.toks.extend_from_slice(&lexer.toks);
            batch
                .items
                .push((batch.bytes.len(), batch.toks.len(), result));
            if last || batch.items.len() >= BATCH_ENTRIES {
                let mut next = recycle_rx.try_recv().unwrap_or_default();
                next.bytes.clear();
                next.toks.clear();
                next.items.clear();
                if tx.send(std::mem::replace(&mut batch, next)).is_err() || last {
                    return; // the parser stopped, or the file ended
                }
            }
        }
    });
    (rx, recycle_tx)
}

enum Input {
    Direct(Box<dyn BufRead>),
    Piped {
        rx: Receiver<Batch>,
        recycle: SyncSender<Batch>,
        batch: Batch,
        next: usize,
    },
}

struct Source {
    input: Input,
    file: u16,
    line: u32,
    origin: Option<Name>,
    /// Set by `$ORIGIN` or an `$INCLUDE` origin: inheriting the owner from
    /// the including file is then almost certainly a mistake.
    origin_explicit: bool,
    records_seen: bool,
    canonical_path: Option<PathBuf>,
    dir: PathBuf,
    /// The current owner when this file was included: restored when it
    /// ends, as BIND and dnspython do (RFC 1035 §5.1 leaves it open).
    owner_before: Option<Name>,
}

pub struct Reader {
    options: ReadOptions,
    out: ReadOutcome,
    stack: Vec<Source>,
    /// The entry being parsed (and a lexer for `$GENERATE` lines).
    lex: Lexer,
    rdata_buf: Vec<u8>,
    last_owner: Option<Name>,
    default_ttl: Option<u32>,
    last_ttl: Option<u32>,
    zone_class: Option<u16>,
    too_many_errors: bool,
    first_soa_owner: Option<Name>,
    first_dollar_origin: Option<Name>,
    /// The text of the last explicit owner, and the origin it was read under.
    last_owner_text: Vec<u8>,
    last_owner_generation: u64,
    /// Bumped whenever the origin in force may change.
    origin_generation: u64,
}

/// Reads a zone file from disk.
pub fn read_file(path: &Path, options: ReadOptions) -> ReadOutcome {
    let mut reader = Reader::new(options);
    match open_zone_file(path) {
        Ok(file) => {
            // Reserve for the records the file size suggests (about 30 bytes
            // each), so the vector is not copied as it grows; capacity never
            // touched costs no memory.
            if let Ok(meta) = file.metadata() {
                reader
                    .out
                    .records
                    .reserve((meta.len() / 24).min(50_000_000) as usize);
            }
            let canonical = std::fs::canonicalize(path).ok();
            let input = file_input(file, reader.options.progress.clone());
            reader.push_source(input, path, canonical, None, false);
            reader.run();
        }
        Err(message) => reader.out.diagnostics.push(Diagnostic::error(
            path.display().to_string(),
            0,
            0,
            "io",
            message,
        )),
    }
    reader.finish()
}

/// Reads records written with absolute names (key files, journals): the
/// records, or the first error.
pub fn read_absolute(name: &str, text: &str) -> Result<Vec<Record>, Diagnostic> {
    let outcome = read_bytes(
        name,
        text.as_bytes(),
        ReadOptions {
            origin: Some(Name::root()),
            ..Default::default()
        },
    );
    match outcome
        .diagnostics
        .into_iter()
        .find(|d| d.severity == Severity::Error)
    {
        Some(d) => Err(d),
        None => Ok(outcome.records),
    }
}

/// Reads zone text from memory (tests, stdin); `name` is used in messages.
pub fn read_bytes(name: &str, data: &[u8], options: ReadOptions) -> ReadOutcome {
    let mut reader = Reader::new(options);
    let data = data.to_vec();
    reader.push_source(
        Input::Direct(Box::new(std::io::Cursor::new(data))),
        Path::new(name),
        None,
        None,
        false,
    );
    reader.run();
    reader.finish()
}

/// Files of more than a megabyte are lexed on a thread of their own while
/// this one parses; smaller ones are read directly.
fn file_input(file: File, progress: Option<Arc<AtomicU64>>) -> Input {
    let large = file.metadata().is_ok_and(|m| m.len() > 1 << 20);
    let reader = BufReader::with_capacity(1 << 16, file);
    if large {
        let (rx, recycle) = spawn_lexer(Box::new(reader), progress);
        Input::Piped {
            rx,
            recycle,
            batch: Batch::default(),
            next: 0,
        }
    } else {
        Input::Direct(Box::new(reader))
    }
}

/// Opens a zone file: regular files only (a FIFO or a device named as a
/// zone, or in `$INCLUDE`, would block or never end).
fn open_zone_file(path: &Path) -> Result<File, String> {
    let cannot = |why: String| format!("cannot read {}: {why}", path.display());
    let meta = std::fs::metadata(path).map_err(|e| cannot(io_reason(&e)))?;
    if meta.is_dir() {
        return Err(cannot("not a file (it is a directory)".into()));
    }
    crate::fsutil::open_regular(path).map_err(|e| cannot(io_reason(&e)))
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => crate::fsutil::io_reason(e),
    }
}

fn shown(text: &[u8]) -> String {
    super::quote_token(text)
}

impl Reader {
    fn new(options: ReadOptions) -> Self {
        Reader {
            out: ReadOutcome::default(),
            options,
            stack: Vec::new(),
            lex: Lexer::new(None),
            rdata_buf: Vec::with_capacity(256),
            last_owner: None,
            default_ttl: None,
            last_ttl: None,
            zone_class: None,
            too_many_errors: false,
            first_soa_owner: None,
            first_dollar_origin: None,
            last_owner_text: Vec::new(),
            last_owner_generation: 0,
            origin_generation: 1,
        }
    }

    fn push_source(
        &mut self,
        input: Input,
        path: &Path,
        canonical: Option<PathBuf>,
        origin: Option<Name>,
        origin_explicit: bool,
    ) {
        let file = self.out.files.len() as u16;
        self.out.files.push(path.to_path_buf());
        self.origin_generation += 1;
        let origin = origin
            .or_else(|| self.stack.last().and_then(|s| s.origin.clone()))
            .or_else(|| self.options.origin.clone())
            .or_else(|| self.options.fallback_origin.clone());
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        self.stack.push(Source {
            input,
            file,
            line: 0,
            origin,
            origin_explicit,
            records_seen: false,
            canonical_path: canonical,
            dir,
            owner_before: self.last_owner.clone(),
        });
    }

    /// Ends the current file; after an included one, the including file
    /// goes on with the owner it had before the `$INCLUDE`.
    fn pop_source(&mut self) {
        if let Some(ended) = self.stack.pop()
            && !self.stack.is_empty()
        {
            self.last_owner = ended.owner_before;
        }
        self.origin_generation += 1;
    }

    fn finish(mut self) -> ReadOutcome {
        // The zone's origin: as given, else the first SOA owner, else the
        // first $ORIGIN, else the fallback.
        self.out.origin = self
            .options
            .origin
            .clone()
            .or(self.first_soa_owner.take())
            .or(self.first_dollar_origin.take())
            .or(self.options.fallback_origin.clone());
        self.out
    }

    fn file_name(&self, file: u16) -> String {
        self.out.files[file as usize].display().to_string()
    }

    fn diag(
        &mut self,
        severity: Severity,
        line: u32,
        column: u32,
        code: &'static str,
        message: String,
    ) {
        if self.too_many_errors {
            return;
        }
        let file = self.stack.last().map_or(0, |s| s.file);
        let name = self.file_name(file);
        self.out.diagnostics.push(Diagnostic {
            file: name,
            line,
            column,
            severity,
            code,
            message,
        });
        if severity == Severity::Error && self.out.error_count() >= self.options.max_errors {
            self.too_many_errors = true;
            let name = self.file_name(file);
            self.out.diagnostics.push(Diagnostic::error(
                name,
                line,
                0,
                "too-many-errors",
                format!(
                    "too many errors ({}); giving up on this zone",
                    self.options.max_errors
                ),
            ));
        }
    }

    fn error(&mut self, line: u32, column: u32, message: String) {
        self.diag(Severity::Error, line, column, "syntax", message);
    }

    /// The next entry of the current file into `self.lex`.
    fn read_entry(&mut self) -> EntryResult {
        let top_file = self.stack.len() == 1;
        let source = self.stack.last_mut().unwrap();
        match &mut source.input {
            Input::Direct(reader) => {
                self.lex.line = source.line;
                self.lex.progress = if top_file {
                    self.options.progress.clone()
                } else {
                    None
                };
                let result = self.lex.read_entry(&mut **reader);
                source.line = self.lex.line;
                result
            }
            Input::Piped {
                rx,
                recycle,
                batch,
                next,
            } => {
                if *next >= batch.items.len() {
                    let fresh = rx.recv().map_err(|_| {
                        (source.line, 0, "read error: the lexer stopped".to_string())
                    })?;
                    let _ = recycle.try_send(std::mem::replace(batch, fresh));
                    *next = 0;
                }
                let (bytes_start, toks_start) = if *next == 0 {
                    (0, 0)
                } else {
                    (batch.items[*next - 1].0, batch.items[*next - 1].1)
                };
                let (bytes_end, toks_end, result) = &batch.items[*next];
                self.lex.entry.clear();
                self.lex
                    .entry
                    .extend_from_slice(&batch.bytes[bytes_start..*bytes_end]);
                self.lex.toks.clear();
                self.lex
                    .toks
                    .extend_from_slice(&batch.toks[toks_start..*toks_end]);
                let result = result.clone();
                *next += 1;
                result
            }
        }
    }

    fn run(&mut self) {
        while !self.stack.is_empty() && !self.too_many_errors {
            match self.read_entry() {
                Ok(Some(blank_owner)) => self.process_entry(blank_owner),
                Ok(None) => self.pop_source(),
                Err((line, column, message)) => {
                    self.error(line, column, message);
                    if line == 0 || message_is_fatal(&self.out.diagnostics) {
                        self.pop_source();
                    }
                }
            }
        }
    }

    fn tok_text(&self, tok: &Tok) -> &[u8] {
        &self.lex.entry[tok.start as usize..tok.end as usize]
    }

    fn current_origin(&self) -> Option<Name> {
        self.stack.last().and_then(|s| s.origin.clone())
    }

    fn process_entry(&mut self, blank_owner: bool) {
        let Some(&first) = self.lex.toks.first() else {
            return;
        };
        let first_text = self.tok_text(&first);
        if !blank_owner && !first.quoted && first_text.first() == Some(&b'$') {
            let directive = first_text.to_ascii_uppercase();
            match directive.as_slice() {
                b"$ORIGIN" => self.directive_origin(),
                b"$TTL" => self.directive_ttl(),
                b"$INCLUDE" => self.directive_include(),
                b"$GENERATE" => self.directive_generate(),
                _ => {
                    let shown = shown(first_text);
                    self.error(
                        first.line,
                        first.column,
                        format!("unknown directive {shown}"),
                    );
                }
            }
            return;
        }
        let toks = std::mem::take(&mut self.lex.toks);
        let entry = std::mem::take(&mut self.lex.entry);
        self.process_record(&entry, &toks, blank_owner);
        self.lex.toks = toks;
        self.lex.entry = entry;
    }

    fn directive_origin(&mut self) {
        let Some(arg) = self.lex.toks.get(1).copied() else {
            return self.error(
                self.lex.toks[0].line,
                self.lex.toks[0].column,
                "$ORIGIN: unexpected end of line: expected a domain name".into(),
            );
        };
        let origin = self.current_origin();
        match Name::parse(self.tok_text(&arg), origin.as_ref()) {
            Ok(name) => {
                if self.first_dollar_origin.is_none() {
                    self.first_dollar_origin = Some(name.clone());
                }
                let source = self.stack.last_mut().unwrap();
                source.origin = Some(name);
                source.origin_explicit = true;
                self.origin_generation += 1;
            }
            Err(e) => self.error(arg.line, arg.column, format!("$ORIGIN: {e}")),
        }
        self.extra_tokens(2, "$ORIGIN");
    }

    fn extra_tokens(&mut self, expected: usize, what: &str) {
        if let Some(extra) = self.lex.toks.get(expected).copied() {
            let text = shown(self.tok_text(&extra));
            self.error(
                extra.line,
                extra.column,
                format!("{what}: extra input text \"{text}\""),
            );
        }
    }

    fn directive_ttl(&mut self) {
        let Some(arg) = self.lex.toks.get(1).copied() else {
            return self.error(
                self.lex.toks[0].line,
                self.lex.toks[0].column,
                "$TTL: unexpected end of line: expected a TTL".into(),
            );
        };
        match parse_period(self.tok_text(&arg)) {
            Ok(ttl) if ttl <= i32::MAX as u32 => self.default_ttl = Some(ttl),
            Ok(ttl) => self.error(
                arg.line,
                arg.column,
                format!("$TTL: {ttl} is above 2^31-1 (RFC 2181 §8)"),
            ),
            Err(e) => self.error(arg.line, arg.column, format!("$TTL: {e}")),
        }
        self.extra_tokens(2, "$TTL");
    }

    fn directive_include(&mut self) {
        let directive = self.lex.toks[0];
        let Some(arg) = self.lex.toks.get(1).copied() else {
            return self.error(
                directive.line,
                directive.column,
                "$INCLUDE: unexpected end of line: expected a file name".into(),
            );
        };
        let raw_path = match rdata::unescape(self.tok_text(&arg)) {
            Ok(p) => PathBuf::from(String::from_utf8_lossy(&p).into_owned()),
            Err(e) => return self.error(arg.line, arg.column, format!("$INCLUDE: {e}")),
        };
        let mut origin = None;
        if let Some(origin_tok) = self.lex.toks.get(2).copied() {
            let current = self.current_origin();
            match Name::parse(self.tok_text(&origin_tok), current.as_ref()) {
                Ok(name) => origin = Some(name),
                Err(e) => {
                    return self.error(
                        origin_tok.line,
                        origin_tok.column,
                        format!("$INCLUDE: {e}"),
                    );
                }
            }
            self.extra_tokens(3, "$INCLUDE");
        }
        if self.out.files.len() >= u16::MAX as usize {
            return self.error(
                arg.line,
                arg.column,
                "$INCLUDE: too many included files".into(),
            );
        }
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            return self.error(
                arg.line,
                arg.column,
                format!("$INCLUDE: nesting deeper than {MAX_INCLUDE_DEPTH} files"),
            );
        }
        // Relative paths are taken from the including file's directory; as
        // BIND does, the working directory is tried when that has no such file.
        let source = self.stack.last().unwrap();
        let path = if raw_path.is_relative() && source.dir.join(&raw_path).exists() {
            source.dir.join(&raw_path)
        } else {
            raw_path.clone()
        };
        let canonical = std::fs::canonicalize(&path).ok();
        if let Some(root) = &self.options.include_root {
            let inside = std::fs::canonicalize(root)
                .ok()
                .zip(canonical.as_ref())
                .is_some_and(|(root, file)| file.starts_with(root));
            if !inside {
                return self.error(
                    arg.line,
                    arg.column,
                    format!(
                        "$INCLUDE: {} is outside the include root {}",
                        quote_token(path.as_os_str().as_encoded_bytes()),
                        root.display()
                    ),
                );
            }
        }
        if let Some(c) = &canonical
            && self
                .stack
                .iter()
                .any(|s| s.canonical_path.as_ref() == Some(c))
        {
            return self.error(
                arg.line,
                arg.column,
                format!(
                    "$INCLUDE: include loop: {} is already being read",
                    path.display()
                ),
            );
        }
        match open_zone_file(&path) {
            Ok(file) => {
                let explicit = origin.is_some() || self.stack.last().unwrap().origin_explicit;
                self.push_source(file_input(file, None), &path, canonical, origin, explicit);
            }
            Err(message) => self.error(arg.line, arg.column, format!("$INCLUDE: {message}")),
        }
    }

    fn process_record(&mut self, entry: &[u8], toks: &[Tok], blank_owner: bool) {
        let text = |t: &Tok| &entry[t.start as usize..t.end as usize];
        let mut idx = 0;
        let owner = if blank_owner {
            let source = self.stack.last().unwrap();
            if !source.records_seen
                && self.stack.len() > 1
                && source.origin_explicit
                && self.last_owner.is_some()
            {
                let owner = self.last_owner.as_ref().unwrap().to_string();
                self.diag(Severity::Warning, toks[0].line, 1, "inherited-owner", format!("inherited owner ({owner}) used at the start of an included file: give the owner explicitly"));
            }
            match &self.last_owner {
                Some(owner) => owner.clone(),
                None => {
                    return self.error(
                        toks[0].line,
                        1,
                        "no current owner name: the first record must name its owner".into(),
                    );
                }
            }
        } else {
            idx = 1;
            let owner_text = text(&toks[0]);
            // Consecutive records of one owner share its name.
            match &self.last_owner {
                Some(last)
                    if self.last_owner_text == owner_text
                        && self.last_owner_generation == self.origin_generation =>
                {
                    last.clone()
                }
                _ => {
                    let origin = self.stack.last().and_then(|s| s.origin.as_ref());
                    match Name::parse(owner_text, origin) {
                        Ok(name) => {
                            self.last_owner_text.clear();
                            self.last_owner_text.extend_from_slice(owner_text);
                            self.last_owner_generation = self.origin_generation;
                            name
                        }
                        Err(e) => {
                            return self.error(
                                toks[0].line,
                                toks[0].column,
                                format!("bad owner name: {e}"),
                            );
                        }
                    }
                }
            }
        };
        self.stack.last_mut().unwrap().records_seen = true;
        self.last_owner = Some(owner.clone());
        let pos = Pos {
            file: self.stack.last().unwrap().file,
            line: toks[0].line,
        };
        let mut ttl = None;
        let mut class = None;
        while idx < toks.len() {
            let t = text(&toks[idx]);
            if class.is_none()
                && let Some(c) = class_from_text(t)
            {
                class = Some(c);
                idx += 1;
            } else if ttl.is_none() && t.first().is_some_and(u8::is_ascii_digit) {
                match parse_period(t) {
                    Ok(v) if v <= i32::MAX as u32 => ttl = Some(v),
                    Ok(v) => {
                        return self.error(
                            toks[idx].line,
                            toks[idx].column,
                            format!("TTL {v} is above 2^31-1 (RFC 2181 §8)"),
                        );
                    }
                    Err(e) => return self.error(toks[idx].line, toks[idx].column, e),
                }
                idx += 1;
            } else {
                break;
            }
        }
        let Some(type_tok) = toks.get(idx) else {
            let last = toks.last().unwrap();
            return self.error(
                last.line,
                last.column,
                "unexpected end of line: expected a record type".into(),
            );
        };
        let Some(rtype) = RType::from_text(text(type_tok)) else {
            return self.error(
                type_tok.line,
                type_tok.column,
                format!("unknown class/type \"{}\"", shown(text(type_tok))),
            );
        };
        if rtype.is_meta() {
            return self.error(
                type_tok.line,
                type_tok.column,
                format!("invalid use of a meta type: {rtype} cannot appear in a zone"),
            );
        }
        // Most records have a few rdata tokens: keep them on the stack.
        let rest = &toks[idx + 1..];
        let mut small = [Token {
            text: b"",
            quoted: false,
        }; 16];
        let large: Vec<Token<'_>>;
        let rdata_toks: &[Token<'_>] = if rest.len() <= small.len() {
            for (slot, t) in small.iter_mut().zip(rest) {
                *slot = Token {
                    text: text(t),
                    quoted: t.quoted,
                };
            }
            &small[..rest.len()]
        } else {
            large = rest
                .iter()
                .map(|t| Token {
                    text: text(t),
                    quoted: t.quoted,
                })
                .collect();
            &large
        };
        let mut buf = std::mem::take(&mut self.rdata_buf);
        buf.clear();
        let root = Name::root;
        let parsed = match self.stack.last().and_then(|s| s.origin.as_ref()) {
            Some(origin) => rdata::parse(rtype, rdata_toks, origin, &mut buf),
            None => rdata::parse(rtype, rdata_toks, &root(), &mut buf),
        };
        if let Err(e) = parsed {
            self.rdata_buf = buf;
            let at = toks.get(idx + 1 + e.token).unwrap_or(type_tok);
            let near = if e.token >= rdata_toks.len() {
                "near end of line: ".to_string()
            } else {
                String::new()
            };
            return self.error(at.line, at.column, format!("{rtype}: {near}{}", e.message));
        }
        let rdata: Box<[u8]> = buf.as_slice().into();
        self.rdata_buf = buf;
        let class = class.unwrap_or(self.zone_class.unwrap_or(self.options.class));
        match self.zone_class {
            None => self.zone_class = Some(class),
            Some(zc) if zc != class => {
                return self.error(
                    toks[0].line,
                    toks[0].column,
                    format!(
                        "class mismatch: record class {} differs from the zone class {}",
                        super::rtype::class_name(class),
                        super::rtype::class_name(zc)
                    ),
                );
            }
            _ => {}
        }
        // RFC 1035 §5.1: without $TTL, a record with no TTL takes the last
        // one stated explicitly, wherever it stood (an ownerless line too);
        // with $TTL, $TTL (RFC 2308 §4).
        let explicit_ttl = ttl;
        let ttl = match ttl.or(self.default_ttl).or(self.last_ttl) {
            Some(t) => t,
            None if rtype == RType::SOA && rdata.len() >= 20 => {
                let minimum = u32::from_be_bytes(rdata[rdata.len() - 4..].try_into().unwrap());
                self.diag(
                    Severity::Warning,
                    toks[0].line,
                    1,
                    "no-ttl",
                    format!("no TTL given: using the SOA minimum {minimum} (set $TTL)"),
                );
                minimum
            }
            None => {
                self.diag(
                    Severity::Warning,
                    toks[0].line,
                    1,
                    "no-ttl",
                    format!("no TTL given and no $TTL: using {DEFAULT_TTL} (as Knot does)"),
                );
                DEFAULT_TTL
            }
        };
        if let Some(t) = explicit_ttl {
            self.last_ttl = Some(t);
        } else if self.last_ttl.is_none() {
            self.last_ttl = Some(ttl);
        }
        if self.first_soa_owner.is_none() && rtype == RType::SOA {
            self.first_soa_owner = Some(owner.clone());
        }
        self.out.records.push(Record {
            owner,
            rtype,
            class,
            ttl,
            rdata,
            pos,
        });
    }

    fn directive_generate(&mut self) {
        let toks = std::mem::take(&mut self.lex.toks);
        let entry = std::mem::take(&mut self.lex.entry);
        if let Err((tok, message)) = self.generate(&entry, &toks) {
            let t = toks.get(tok).or(toks.last()).copied().unwrap();
            self.error(t.line, t.column, format!("$GENERATE: {message}"));
        }
        self.lex.toks = toks;
        self.lex.entry = entry;
    }

    fn generate(&mut self, entry: &[u8], toks: &[Tok]) -> Result<(), (usize, String)> {
        let text = |i: usize| {
            toks.get(i)
                .map(|t| &entry[t.start as usize..t.end as usize])
        };
        let range = text(1).ok_or((0, "unexpected end of line: expected a range".to_string()))?;
        let (start, stop, step) =
            parse_range(range).ok_or((1, format!("invalid range \"{}\"", shown(range))))?;
        let count = (stop - start) / step + 1;
        if count > self.options.max_generate {
            return Err((
                1,
                format!(
                    "range {start}-{stop} would create {count} records, more than the limit of {}",
                    self.options.max_generate
                ),
            ));
        }
        let lhs = text(2).ok_or((
            1,
            "unexpected end of line: expected an owner template".to_string(),
        ))?;
        // Optional TTL and class (either order), then the type.
        let mut idx = 3;
        let mut fields: Vec<Vec<u8>> = Vec::new();
        while let Some(t) = text(idx) {
            if RType::from_text(t).is_some() {
                break;
            }
            if class_from_text(t).is_none() && parse_period(t).is_err() {
                return Err((idx, format!("unknown class/type \"{}\"", shown(t))));
            }
            fields.push(t.to_vec());
            idx += 1;
        }
        let type_text = text(idx).ok_or((
            idx,
            "unexpected end of line: expected a record type".to_string(),
        ))?;
        let rtype = RType::from_text(type_text).unwrap();
        if rtype.is_meta() {
            return Err((idx, format!("meta RR type '{rtype}' cannot be generated")));
        }
        let rhs: Vec<&[u8]> = (idx + 1..toks.len()).filter_map(text).collect();
        if rhs.is_empty() {
            return Err((
                idx,
                "unexpected end of line: expected an rdata template".to_string(),
            ));
        }
        // Check the templates once before expanding.
        expand_template(lhs, start as i64).map_err(|m| (2, m))?;
        for (k, r) in rhs.iter().enumerate() {
            expand_template(r, start as i64).map_err(|m| (idx + 1 + k, m))?;
        }
        let line = toks[0].line;
        let mut value = start;
        let mut generated = Vec::with_capacity(count as usize);
        while value <= stop {
            let owner = expand_template(lhs, value as i64).map_err(|m| (2, m))?;
            let mut line_text = owner;
            for f in &fields {
                line_text.push(b' ');
                line_text.extend_from_slice(f);
            }
            line_text.push(b' ');
            line_text.extend_from_slice(type_text);
            for r in &rhs {
                line_text.push(b' ');
                line_text.extend_from_slice(
                    &expand_template(r, value as i64).map_err(|m| (idx + 1, m))?,
                );
            }
            generated.push(line_text);
            value += step;
        }
        let saved_owner = self.last_owner.clone();
        for line_text in generated {
            if self.too_many_errors {
                break;
            }
            self.lex.entry.clear();
            self.lex.toks.clear();
            let mut depth = 0;
            let mut open = 0;
            if let Err((l, c, m)) = self.lex.tokenize(&line_text, line, &mut depth, &mut open) {
                self.error(l, c, format!("$GENERATE: {m}"));
                continue;
            }
            let toks = std::mem::take(&mut self.lex.toks);
            let entry = std::mem::take(&mut self.lex.entry);
            self.process_record(&entry, &toks, false);
            self.lex.toks = toks;
            self.lex.entry = entry;
        }
        self.last_owner = saved_owner;
        Ok(())
    }
}

fn message_is_fatal(diagnostics: &[Diagnostic]) -> bool {
    diagnostics
        .last()
        .is_some_and(|d| d.message.contains("(fatal:"))
}

/// `start-stop[/step]`, all within 0..=2^31-1 and start <= stop.
fn parse_range(text: &[u8]) -> Option<(u64, u64, u64)> {
    let (range, step) = match text.iter().position(|&c| c == b'/') {
        Some(slash) => (
            &text[..slash],
            parse_number(&text[slash + 1..], i32::MAX as u64).ok()?,
        ),
        None => (text, 1),
    };
    let dash = range.iter().position(|&c| c == b'-')?;
    let start = parse_number(&range[..dash], i32::MAX as u64).ok()?;
    let stop = parse_number(&range[dash + 1..], i32::MAX as u64).ok()?;
    if start > stop || step == 0 {
        return None;
    }
    Some((start, stop, step))
}

/// Substitutes `$` and `${offset[,width[,base]]}` in a `$GENERATE` template.
fn expand_template(template: &[u8], value: i64) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(template.len() + 8);
    let mut i = 0;
    while i < template.len() {
        match template[i] {
            b'\\' => {
                out.push(b'\\');
                if let Some(&next) = template.get(i + 1) {
                    out.push(next);
                }
                i += 2;
            }
            b'$' if template.get(i + 1) == Some(&b'{') => {
                let close = template[i..]
                    .iter()
                    .position(|&c| c == b'}')
                    .ok_or("syntax error: missing '}' in ${...}")?
                    + i;
                let inner = std::str::from_utf8(&template[i + 2..close])
                    .map_err(|_| "syntax error in ${...}")?;
                let parts: Vec<&str> = inner.split(',').collect();
                if parts.len() > 3 || parts[0].is_empty() {
                    return Err("syntax error in ${...}".into());
                }
                let offset: i64 = parts[0]
                    .parse()
                    .map_err(|_| "syntax error: bad offset in ${...}")?;
                // unsigned_abs: i64::MIN has no i64 absolute value.
                if offset.unsigned_abs() > i32::MAX as u64 {
                    return Err("out of range: offset in ${...}".into());
                }
                let width: usize = match parts.get(1) {
                    Some(w) => w.parse().map_err(|_| "syntax error: bad width in ${...}")?,
                    None => 0,
                };
                if width > 255 {
                    return Err("out of range: width in ${...}".into());
                }
                let base = match parts.get(2) {
                    Some(b) if b.len() == 1 => b.as_bytes()[0],
                    Some(_) => return Err("syntax error: bad base in ${...}".into()),
                    None => b'd',
                };
                let v = value + offset;
                if v > i32::MAX as i64 {
                    return Err("out of range: value exceeds 2^31-1".into());
                }
                let v = v as i32 as u32;
                let formatted = match base {
                    b'd' => format!("{v:0width$}"),
                    b'o' => format!("{v:0width$o}"),
                    b'x' => format!("{v:0width$x}"),
                    b'X' => format!("{v:0width$X}"),
                    b'n' | b'N' => nibbles(v, width, base == b'N'),
                    _ => return Err("syntax error: bad base in ${...}".into()),
                };
                out.extend_from_slice(formatted.as_bytes());
                i = close + 1;
            }
            b'$' => {
                out.extend_from_slice(value.to_string().as_bytes());
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// Reverse-nibble form for ip6.arpa (`0.0.4` for 0x400); the width counts
/// characters, dots included, as BIND's does.
fn nibbles(mut value: u32, width: usize, upper: bool) -> String {
    let mut out = String::new();
    loop {
        let digit = std::char::from_digit(value & 15, 16).unwrap();
        out.push(if upper {
            digit.to_ascii_uppercase()
        } else {
            digit
        });
        value >>= 4;
        if value == 0 && out.len() >= width {
            break;
        }
        out.push('.');
        if value == 0 && out.len() >= width {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> ReadOutcome {
        read_bytes(
            "test.zone",
            text.as_bytes(),
            ReadOptions {
                origin: Some(Name::parse(b"example.", None).unwrap()),
                ..Default::default()
            },
        )
    }

    #[test]
    fn rfc1035_5_1_the_last_explicit_ttl_holds_on_ownerless_lines_too() {
        let r = read(
            "example. 345600 IN SOA ns hm 1 2 3 4 5\n  3600 IN NS ns.example.net.\n  A 192.0.2.1\nwww A 192.0.2.2\n",
        )
        .records;
        assert_eq!(
            r.iter().map(|r| r.ttl).collect::<Vec<_>>(),
            [345600, 3600, 3600, 3600]
        );
        // RFC 2308 §4: with $TTL, records without a TTL take $TTL.
        let r = read("$TTL 300\nexample. 345600 IN SOA ns hm 1 2 3 4 5\n  3600 NS ns.example.net.\n  A 192.0.2.1\n")
            .records;
        assert_eq!(r[2].ttl, 300);
    }

    #[test]
    fn the_owner_before_an_include_is_the_owner_after_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("inc"), "inside A 192.0.2.9\n").unwrap();
        let zone = dir.path().join("zone");
        std::fs::write(
            &zone,
            "$TTL 60\n@ SOA ns hm 1 2 3 4 5\nbefore A 192.0.2.1\n$INCLUDE inc\n  TXT \"after\"\n",
        )
        .unwrap();
        let outcome = read_file(
            &zone,
            ReadOptions {
                origin: Some(Name::parse(b"example.", None).unwrap()),
                ..Default::default()
            },
        );
        let txt = outcome
            .records
            .iter()
            .find(|r| r.rtype == RType::TXT)
            .unwrap();
        assert_eq!(txt.owner.to_string(), "before.example.");
    }

    #[test]
    fn generate_offsets_out_of_range_are_all_refused() {
        for offset in [
            "-9223372036854775808",
            "9223372036854775807",
            "-2147483648",
            "2147483648",
        ] {
            let out = read(&format!(
                "$TTL 60\n$GENERATE 1-2 h$ A 10.0.0.${{{offset}}}\n"
            ));
            assert!(
                out.diagnostics
                    .iter()
                    .any(|d| d.message.contains("out of range")),
                "{offset}: {:?}",
                out.diagnostics
            );
            assert!(out.records.is_empty(), "{offset}");
        }
    }

    #[test]
    fn owner_ttl_class_inheritance() {
        let out = read(
            "$TTL 1h\n@ IN SOA ns host 1 2 3 4 5\n  NS ns\nns 300 IN A 192.0.2.1\n   IN 60 AAAA ::1\n",
        );
        assert_eq!(out.error_count(), 0, "{:?}", out.diagnostics);
        let r = &out.records;
        assert_eq!(r.len(), 4);
        assert_eq!(r[1].owner.to_string(), "example.");
        assert_eq!(r[1].ttl, 3600);
        assert_eq!(r[3].owner.to_string(), "ns.example.");
        assert_eq!(r[3].ttl, 60);
    }

    #[test]
    fn parentheses_comments_and_crlf() {
        let out = read("@ 3600 SOA ns host (\r\n 1 ; serial\r\n 2 3 4 5 )\r\n");
        assert_eq!(out.error_count(), 0, "{:?}", out.diagnostics);
        assert_eq!(out.records.len(), 1);
    }

    #[test]
    fn errors_carry_line_and_column_and_reading_goes_on() {
        let out = read("$TTL 60\n@ SOA ns host 1 2 3 4 5\nwww A 10.0.0.256\nmail MX ten mail\n");
        let errors: Vec<_> = out.diagnostics.iter().map(|d| d.to_string()).collect();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(
            errors[0],
            "test.zone:3:7: error: A: expected an IPv4 address, found \"10.0.0.256\""
        );
        assert!(
            errors[1].starts_with("test.zone:4:9: error: MX: expected a number"),
            "{}",
            errors[1]
        );
    }

    #[test]
    fn generate_with_modifiers() {
        let out = read(
            "$TTL 60\n$GENERATE 1024-1026 ${0,3,n} AAAA 2001:db8::${0,4,x}\n$GENERATE 1-3/2 host$ A 10.0.0.$\n",
        );
        assert_eq!(out.error_count(), 0, "{:?}", out.diagnostics);
        let owners: Vec<String> = out.records.iter().map(|r| r.owner.to_string()).collect();
        assert_eq!(
            owners,
            [
                "0.0.4.example.",
                "1.0.4.example.",
                "2.0.4.example.",
                "host1.example.",
                "host3.example."
            ]
        );
        assert_eq!(nibbles(0x400, 6, false), "0.0.4.");
        assert_eq!(nibbles(-976i32 as u32, 0, false), "0.3.c.f.f.f.f.f");
    }

    #[test]
    fn generate_limits() {
        let out = read("$TTL 60\n$GENERATE 0-1000000000 host$ A 10.0.0.1\n");
        assert!(out.diagnostics[0].message.contains("more than the limit"));
        let out = read("$TTL 60\n$GENERATE 9--10 host$ A 10.0.0.1\n");
        assert!(out.diagnostics[0].message.contains("invalid range"));
    }

    #[test]
    fn a_large_file_lexed_on_its_own_thread_reads_as_from_memory() {
        let mut text = String::from(
            "$ORIGIN example.\n$TTL 60\n@ SOA ns h 1 7200 1800 1209600 60\n NS ns\nns A 192.0.2.1\n",
        );
        for i in 0..60_000 {
            text.push_str(&format!(
                "h{i} A 10.0.{}.{}\n  TXT ( \"x\"\n \"y\" ) ; comment\n",
                (i / 256) % 256,
                i % 256
            ));
            if i % 10_000 == 5 {
                text.push_str("bad A 10.0.0.256\n");
            }
        }
        assert!(text.len() > 1 << 20);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("large.zone");
        std::fs::write(&path, &text).unwrap();
        let from_file = read_file(&path, ReadOptions::default());
        let from_memory = read_bytes(
            &path.display().to_string(),
            text.as_bytes(),
            ReadOptions::default(),
        );
        assert_eq!(from_file.records, from_memory.records);
        assert_eq!(from_file.diagnostics, from_memory.diagnostics);
        assert_eq!(from_file.error_count(), 6);
        assert_eq!(from_file.records.len(), 3 + 120_000);
    }

    #[test]
    fn binary_input_is_refused() {
        let out = read("www A 1.2.3.4\0junk\n");
        assert!(out.diagnostics[0].message.contains("NUL byte"));
    }
}
