//! Writer for canonical presentation format: one record per line, names
//! fully qualified, RRsets in canonical order, the SOA first. BIND, Knot and
//! ldns all read it back unchanged.

use std::io::{self, Write};

use super::rtype::class_name;
use super::{RRset, RType, Zone, name::write_labels, rdata};

/// Appends one record line (without the newline).
pub fn format_record(
    owner: &[u8],
    ttl: u32,
    class: u16,
    rtype: RType,
    rdata_wire: &[u8],
    out: &mut String,
) {
    use std::fmt::Write;
    write_labels(owner, out);
    let _ = write!(out, " {ttl} ");
    if class == 1 {
        out.push_str("IN");
    } else {
        out.push_str(&class_name(class));
    }
    out.push(' ');
    let _ = write!(out, "{rtype}");
    out.push(' ');
    rdata::write(rtype, rdata_wire, out);
}

/// Writes one record as a line, `line` the buffer reused between calls.
pub fn write_record<W: Write + ?Sized>(
    owner: &[u8],
    ttl: u32,
    class: u16,
    rtype: RType,
    rdata_wire: &[u8],
    line: &mut String,
    out: &mut W,
) -> io::Result<()> {
    line.clear();
    format_record(owner, ttl, class, rtype, rdata_wire, line);
    line.push('\n');
    out.write_all(line.as_bytes())
}

fn write_rrset<W: Write + ?Sized>(set: &RRset, line: &mut String, out: &mut W) -> io::Result<()> {
    for rdata in &set.rdatas {
        write_record(
            set.owner.as_wire(),
            set.ttl,
            set.class,
            set.rtype,
            rdata,
            line,
            out,
        )?;
    }
    Ok(())
}

/// Writes the whole zone: the apex SOA first, then everything in canonical order.
pub fn write_zone<W: Write + ?Sized>(zone: &Zone, out: &mut W) -> io::Result<()> {
    let mut line = String::with_capacity(256);
    let soa = zone.soa();
    if let Some(soa) = soa {
        write_rrset(soa, &mut line, out)?;
    }
    for set in zone.rrsets() {
        if soa.is_some_and(|s| std::ptr::eq(s, set)) {
            continue;
        }
        write_rrset(set, &mut line, out)?;
    }
    Ok(())
}
