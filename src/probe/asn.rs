//! An offline IP-to-AS table in the public ip2asn TSV format: one range a
//! line, `range_start<TAB>range_end<TAB>AS_number<TAB>country<TAB>description`,
//! IPv4 and IPv6 ranges in one file or two. AS 0 means "not routed".

use std::net::IpAddr;
use std::path::Path;

use thiserror::Error;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum AsnError {
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("{file}:{line}: {message}")]
    Format {
        file: String,
        line: usize,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsnEntry {
    pub asn: u32,
    pub country: String,
    pub description: String,
}

/// Ranges as 128-bit numbers (IPv4 as IPv4-mapped), sorted by start.
#[derive(Debug, Default)]
pub struct AsnDb {
    ranges: Vec<(u128, u128, AsnEntry)>,
}

fn key(address: IpAddr) -> u128 {
    match address {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

impl AsnDb {
    pub fn read(path: &Path) -> Result<AsnDb, AsnError> {
        let file = path.display().to_string();
        let text = crate::fsutil::read_bounded(path, crate::fsutil::MAX_ASN_TABLE)
            .map_err(|e| AsnError::Io(file.clone(), e))?;
        AsnDb::parse(&file, &text)
    }

    pub fn parse(file: &str, text: &str) -> Result<AsnDb, AsnError> {
        let mut ranges = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let error = |message: &str| AsnError::Format {
                file: file.to_string(),
                line: i + 1,
                message: message.to_string(),
            };
            let fields: Vec<&str> = line.split('\t').collect();
            if fields.len() < 3 {
                return Err(error(
                    "expected range start, range end, AS number, country, description separated by tabs",
                ));
            }
            let start: IpAddr = fields[0]
                .trim()
                .parse()
                .map_err(|_| error("bad range start"))?;
            let end: IpAddr = fields[1]
                .trim()
                .parse()
                .map_err(|_| error("bad range end"))?;
            if start.is_ipv4() != end.is_ipv4() || key(start) > key(end) {
                return Err(error("range end before its start, or of another family"));
            }
            let asn: u32 = fields[2]
                .trim()
                .trim_start_matches("AS")
                .parse()
                .map_err(|_| error("bad AS number"))?;
            if asn == 0 {
                continue;
            }
            ranges.push((
                key(start),
                key(end),
                AsnEntry {
                    asn,
                    country: fields.get(3).unwrap_or(&"").trim().to_string(),
                    description: fields.get(4).unwrap_or(&"").trim().to_string(),
                },
            ));
        }
        ranges.sort_by_key(|r| r.0);
        Ok(AsnDb { ranges })
    }

    pub fn lookup(&self, address: IpAddr) -> Option<&AsnEntry> {
        let k = key(super::normalize(address));
        let i = self.ranges.partition_point(|r| r.0 <= k);
        let (_, end, entry) = self.ranges.get(i.checked_sub(1)?)?;
        (k <= *end).then_some(entry)
    }

    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        let db = AsnDb::parse(
            "t",
            "1.0.0.0\t1.0.0.255\t13335\tUS\tCLOUDFLARENET\n1.0.1.0\t1.0.3.255\t0\tNone\tNot routed\n205.251.192.0\t205.251.199.255\t16509\tUS\tAMAZON-02\n2606:4700::\t2606:4700:ffff:ffff:ffff:ffff:ffff:ffff\t13335\tUS\tCLOUDFLARENET\n",
        )
        .unwrap();
        let asn = |a: &str| db.lookup(a.parse().unwrap()).map(|e| e.asn);
        assert_eq!(asn("1.0.0.1"), Some(13335));
        assert_eq!(asn("1.0.2.1"), None);
        assert_eq!(asn("205.251.197.220"), Some(16509));
        assert_eq!(asn("2606:4700:58::adf5:3b93"), Some(13335));
        assert_eq!(asn("::ffff:205.251.192.1"), Some(16509));
        assert_eq!(asn("9.9.9.9"), None);
        assert!(AsnDb::parse("t", "1.0.0.0 1.0.0.255").is_err());
    }
}
