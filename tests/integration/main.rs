//! The integration tests, one binary: they drive the real `zonectl`
//! binary, and talk to real peers (BIND, Knot, NSD, ldns, Unbound) where
//! a test needs them. One binary links once, which matters on a small
//! machine; the modules run in parallel as separate test binaries did.

mod common;

mod bad_input;
mod check_cases;
mod cli;
mod differential;
mod dnssec_interop;
mod first_hour;
mod peer_suites;
mod probe_interop;
mod push;
mod roundtrip;
mod serve_cases;
mod serve_catalog;
mod serve_daemon;
mod serve_diff;
mod serve_signing;
mod serve_transfer;
mod serve_update;
mod serve_util;
mod serve_validation;
mod xfr_interop;
