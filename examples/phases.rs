use std::time::Instant;
use zonectl::zone::{Zone, check, reader};
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let t = Instant::now();
    let out = reader::read_file(path.as_ref(), Default::default());
    eprintln!("read {:?} ({} records)", t.elapsed(), out.records.len());
    let t = Instant::now();
    let origin = out.origin.clone().unwrap();
    let (zone, c) = Zone::from_records(origin, 1, out.records);
    eprintln!("zone {:?}", t.elapsed());
    let t = Instant::now();
    let files = vec![path.clone()];
    let d = check::check_zone(&zone, &c, &files, &Default::default());
    eprintln!("check {:?} {}", t.elapsed(), d.len());
    let t = Instant::now();
    drop(zone);
    eprintln!("drop {:?}", t.elapsed());
}
