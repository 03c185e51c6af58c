//! Applying IXFR difference sequences to a local copy: to records held in
//! memory, or straight to a zone file zonectl wrote, where only the lines
//! of the owners the changes touch are parsed and the rest is copied.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::Path;

use super::{Changeset, XfrError};
use crate::zone::name::write_labels;
use crate::zone::reader::read_absolute;
use crate::zone::{Name, RType, Record, writer};

/// Identity of a record for IXFR: owner (case-folded), type, class, rdata.
type RecordKey = (Box<[u8]>, u16, u16, Box<[u8]>);

fn record_key(r: &Record) -> RecordKey {
    (
        r.owner.to_lowercase().as_wire().into(),
        r.rtype.0,
        r.class,
        r.rdata.clone(),
    )
}

/// What became of a record the changes touch.
enum Slot {
    /// In the local copy, and still there.
    Original,
    /// Not there (deleted, or never was).
    Absent,
    /// Added (perhaps again, perhaps with another TTL).
    Added(Record),
}

/// What to do with a record of the local copy.
pub enum Decision {
    Keep,
    Drop,
    Replace(Record),
}

/// The net effect of a run of difference sequences on the records they
/// touch.
pub struct Patch {
    touched: HashMap<RecordKey, Slot>,
    /// Touched owners, case-folded: a cheap first test before building a
    /// record's key, since most records are untouched.
    owners: HashSet<Box<[u8]>>,
    pub new_soa: Record,
}

impl Patch {
    /// Checks that the sequences follow each other from `local_serial`.
    pub fn new(local_serial: u32, changesets: &[Changeset]) -> Result<Patch, XfrError> {
        let mut expected = local_serial;
        for c in changesets {
            if c.from_serial() != expected {
                return Err(XfrError::Broken(format!(
                    "a difference sequence starts at serial {}, expected {expected}",
                    c.from_serial()
                )));
            }
            expected = c.to_serial();
        }
        let new_soa = changesets
            .last()
            .map(|c| c.to.clone())
            .ok_or_else(|| XfrError::Broken("no difference sequence".into()))?;
        let mut touched = HashMap::new();
        for c in changesets {
            for r in c.deleted.iter().chain(&c.added) {
                if r.rtype != RType::SOA {
                    touched.entry(record_key(r)).or_insert(Slot::Absent);
                }
            }
        }
        let owners = touched.keys().map(|k| k.0.clone()).collect();
        Ok(Patch {
            touched,
            owners,
            new_soa,
        })
    }

    pub fn touches(&self, owner: &Name) -> bool {
        let wire = owner.as_wire();
        if wire.iter().any(u8::is_ascii_uppercase) {
            self.owners.contains(owner.to_lowercase().as_wire())
        } else {
            self.owners.contains(wire)
        }
    }

    /// Notes a record of the local copy before the sequences run.
    pub fn saw(&mut self, r: &Record) {
        if self.touches(&r.owner)
            && let Some(slot) = self.touched.get_mut(&record_key(r))
        {
            *slot = Slot::Original;
        }
    }

    /// Runs the sequences in order over what [`Patch::saw`]: deleting a
    /// record the copy does not have means it has diverged.
    pub fn run(&mut self, changesets: &[Changeset]) -> Result<(), XfrError> {
        for c in changesets {
            for r in c.deleted.iter().filter(|r| r.rtype != RType::SOA) {
                let slot = self.touched.get_mut(&record_key(r)).expect("collected");
                if matches!(slot, Slot::Absent) {
                    return Err(XfrError::Broken(format!(
                        "serial {} → {} deletes {} {}, which the local copy does not have",
                        c.from_serial(),
                        c.to_serial(),
                        r.owner,
                        r.rtype
                    )));
                }
                *slot = Slot::Absent;
            }
            for r in c.added.iter().filter(|r| r.rtype != RType::SOA) {
                *self.touched.get_mut(&record_key(r)).expect("collected") = Slot::Added(r.clone());
            }
        }
        Ok(())
    }

    /// What becomes of a record of the local copy (after [`Patch::run`]).
    pub fn decide(&mut self, r: &Record) -> Decision {
        if r.rtype == RType::SOA && r.owner.eq_ignore_case(&self.new_soa.owner) {
            return Decision::Drop;
        }
        if !self.touches(&r.owner) {
            return Decision::Keep;
        }
        let key = record_key(r);
        match self.touched.get(&key) {
            None | Some(Slot::Original) => Decision::Keep,
            Some(Slot::Absent) => Decision::Drop,
            Some(Slot::Added(_)) => match self.touched.remove(&key) {
                Some(Slot::Added(added)) => Decision::Replace(added),
                _ => unreachable!(),
            },
        }
    }

    /// Additions the local copy did not have (after every [`Patch::decide`]).
    pub fn into_additions(self) -> impl Iterator<Item = Record> {
        self.touched.into_values().filter_map(|slot| match slot {
            Slot::Added(r) => Some(r),
            _ => None,
        })
    }
}

/// Applies difference sequences, in order, to the records of the zone at
/// `local_serial`. A sequence that does not start where the previous one
/// ended, or that deletes a record the zone does not have, is an error:
/// the copy would silently diverge from the primary's. The new SOA comes
/// last.
pub fn apply(
    records: Vec<Record>,
    local_serial: u32,
    changesets: &[Changeset],
) -> Result<Vec<Record>, XfrError> {
    let mut patch = Patch::new(local_serial, changesets)?;
    records.iter().for_each(|r| patch.saw(r));
    patch.run(changesets)?;
    let mut out = Vec::with_capacity(records.len());
    for r in records {
        match patch.decide(&r) {
            Decision::Keep => out.push(r),
            Decision::Drop => {}
            Decision::Replace(added) => out.push(added),
        }
    }
    let new_soa = patch.new_soa.clone();
    out.extend(patch.into_additions());
    out.push(new_soa);
    Ok(out)
}

/// The first line of a zone file zonectl wrote from a transfer.
pub fn header_line(zone: &Name, serial: u32, server: &str, how: &str, when: &str) -> String {
    format!("; {zone} serial {serial}, transferred from {server} by {how} at {when}\n")
}

/// Whether `text` is a zone file zonectl wrote for `zone`: the header line,
/// then one record a line, each starting with an absolute owner.
fn written_by_us(text: &str, zone: &Name) -> bool {
    let mut lines = text.lines();
    let header = format!("; {zone} serial ");
    lines
        .next()
        .is_some_and(|l| l.starts_with(&header) && l.contains(", transferred from "))
        && lines.all(|l| {
            l.is_empty()
                || l.starts_with(';')
                || l.split_once(' ')
                    .is_some_and(|(owner, _)| owner.ends_with('.') && !owner.starts_with('$'))
        })
}

/// Applies the sequences to a zone file zonectl wrote, writing the result
/// to `out` (a header line first): lines of owners the changes do not
/// touch are copied as they are, without parsing. Returns `None` when the
/// file is not one zonectl wrote (the caller then reads it in full), else
/// the records written.
pub fn patch_file(
    text: &str,
    file: &Path,
    zone: &Name,
    local_serial: u32,
    changesets: &[Changeset],
    header: &str,
    out: &mut dyn Write,
) -> Result<Option<u64>, XfrError> {
    if !written_by_us(text, zone) {
        return Ok(None);
    }
    let mut patch = Patch::new(local_serial, changesets)?;
    // Owners as they print, case-folded, to pick the lines to parse; the
    // apex too, for its SOA.
    let mut printed: HashSet<Vec<u8>> = HashSet::new();
    for owner in patch
        .owners
        .iter()
        .map(|o| &o[..])
        .chain([zone.to_lowercase().as_wire()].iter().copied())
    {
        let mut text = String::new();
        write_labels(owner, &mut text);
        printed.insert(text.into_bytes());
    }
    let file_name = file.display().to_string();
    let parse = |line: &str| -> Result<Record, XfrError> {
        let mut records = read_absolute(&file_name, line)
            .map_err(|d| XfrError::Local(file.to_path_buf(), d.message))?;
        match (records.pop(), records.is_empty()) {
            (Some(r), true) => Ok(r),
            _ => Err(XfrError::Local(
                file.to_path_buf(),
                format!("not one record: {line}"),
            )),
        }
    };
    let is_touched = |line: &str| {
        let owner = line.split_once(' ').map_or(line, |(o, _)| o).as_bytes();
        if owner.iter().any(u8::is_ascii_uppercase) {
            printed.contains(&owner.to_ascii_lowercase())
        } else {
            printed.contains(owner)
        }
    };
    let records = text
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty() && !l.starts_with(';'));
    for line in records.clone().filter(|l| is_touched(l)) {
        patch.saw(&parse(line)?);
    }
    patch.run(changesets)?;
    let io = |e| XfrError::Output(e);
    let mut line_out = String::with_capacity(512);
    let mut write_record = |r: &Record, out: &mut dyn Write| {
        line_out.clear();
        writer::format_record(
            r.owner.as_wire(),
            r.ttl,
            r.class,
            r.rtype,
            &r.rdata,
            &mut line_out,
        );
        line_out.push('\n');
        out.write_all(line_out.as_bytes())
    };
    out.write_all(header.as_bytes()).map_err(io)?;
    write_record(&patch.new_soa.clone(), out).map_err(io)?;
    let mut count = 1;
    for line in records {
        let decision = if is_touched(line) {
            patch.decide(&parse(line)?)
        } else {
            Decision::Keep
        };
        match decision {
            Decision::Keep => {
                out.write_all(line.as_bytes())
                    .and_then(|()| out.write_all(b"\n"))
                    .map_err(io)?;
                count += 1;
            }
            Decision::Drop => {}
            Decision::Replace(r) => {
                write_record(&r, out).map_err(io)?;
                count += 1;
            }
        }
    }
    for r in patch.into_additions() {
        write_record(&r, out).map_err(io)?;
        count += 1;
    }
    Ok(Some(count))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::xfr::test_records::{rec, sorted_lines};

    #[test]
    fn patching_the_file_equals_applying_in_memory() {
        let zone = Name::parse(b"example.", None).unwrap();
        let soa = |n: u32| rec(&format!("@ 60 SOA ns hm {n} 1 1 1 1")).remove(0);
        let local = rec(
            "@ 60 SOA ns hm 1 1 1 1 1\n@ 60 NS ns\nns 60 A 192.0.2.1\nWWW 60 A 192.0.2.80\nwww 60 TXT \"a b\"\nmail 60 MX 10 ns\nx\\.y 60 TXT dotted",
        );
        let changesets = vec![
            Changeset {
                from: soa(1),
                to: soa(2),
                deleted: rec("www 60 A 192.0.2.80\nmail 60 MX 10 ns"),
                added: rec("www 300 A 192.0.2.80\n@ 60 NS ns2\nns2 60 A 192.0.2.2"),
            },
            Changeset {
                from: soa(2),
                to: soa(3),
                deleted: rec("x\\.y 60 TXT dotted"),
                added: rec("x\\.y 60 TXT again\nmail 60 MX 20 ns2"),
            },
        ];
        let in_memory = apply(local.clone(), 1, &changesets).unwrap();
        let mut file_text = header_line(&zone, 1, "192.0.2.53:53", "AXFR", "20260101000000");
        for line in sorted_lines(&local) {
            file_text += &line;
            file_text.push('\n');
        }
        let mut out = Vec::new();
        let count = patch_file(
            &file_text,
            Path::new("t"),
            &zone,
            1,
            &changesets,
            "; new\n",
            &mut out,
        )
        .unwrap()
        .expect("a file zonectl wrote");
        let patched = String::from_utf8(out).unwrap();
        assert!(patched.starts_with("; new\nexample. 60 IN SOA ns.example. hm.example. 3 "));
        let reread = rec(&patched);
        assert_eq!(count as usize, reread.len());
        assert_eq!(sorted_lines(&reread), sorted_lines(&in_memory));
        // Deleted and added again with a new TTL: the added record wins.
        assert!(
            sorted_lines(&reread)
                .iter()
                .any(|l| l == "www.example. 300 IN A 192.0.2.80"),
            "{patched}"
        );

        // A file written by hand is not patched, and a change that does not
        // fit is refused.
        assert!(
            patch_file(
                "$ORIGIN example.\n@ SOA ns hm 1 1 1 1 1\n",
                Path::new("t"),
                &zone,
                1,
                &changesets,
                "",
                &mut Vec::new()
            )
            .unwrap()
            .is_none()
        );
        let missing = vec![Changeset {
            from: soa(1),
            to: soa(2),
            deleted: rec("gone 60 A 192.0.2.9"),
            added: vec![],
        }];
        assert!(matches!(
            patch_file(
                &file_text,
                Path::new("t"),
                &zone,
                1,
                &missing,
                "",
                &mut Vec::new()
            ),
            Err(XfrError::Broken(_))
        ));
    }
}
