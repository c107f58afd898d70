//! Network layers for Skjold's passive monitor: frame decoding, IP fragment reassembly, the
//! flow table and TCP stream reassembly. No I/O; every structure is bounded and reports the
//! limits it hits to its caller.

pub mod decode;
pub mod defrag;
pub mod flow;
pub mod tcp;
mod time;

pub use time::Ts;
