//! The request recorder: every request any simulated service received, classified as a read or
//! a write / state change and as a login attempt or not, for the scanner's safety tests.

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::spec::Protocol;

/// Transport of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

/// One request received by a simulated service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Request {
    /// Index of the device in the fleet.
    pub device: usize,
    /// Device address.
    pub addr: Ipv4Addr,
    /// Service port.
    pub port: u16,
    /// Transport.
    pub transport: Transport,
    /// Protocol of the service.
    pub protocol: Protocol,
    /// Function / service / command code as on the wire (Modbus function, S7 function or
    /// userdata subfunction, ENIP command or CIP service, BACnet service choice, DNP3 link or
    /// application function, IEC 104 control or type id, OPC UA message or service node id,
    /// MQTT packet type, CoAP code, ...; 0 where the protocol has none).
    pub code: u32,
    /// Human-readable name of the service (`read_holding_registers`, `szl_read 0x0011`, ...).
    pub service: String,
    /// Whether the request writes data or changes the device's state (conservative: a request
    /// the simulator cannot classify as read-only counts as a write).
    pub write: bool,
    /// Whether the request is a login attempt carrying credentials (anonymous logins included).
    pub login: bool,
}

/// Most requests kept; later ones are only counted ([`Recorder::dropped`]), so a long
/// benchmark cannot grow the simulator without bound.
pub const MAX_RECORDED: usize = 1_000_000;

/// Shared, append-only log of requests.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    inner: Arc<Mutex<Vec<Request>>>,
    dropped: Arc<AtomicU64>,
}

impl Recorder {
    /// Append one request (or count it when [`MAX_RECORDED`] are kept already).
    pub(crate) fn push(&self, r: Request) {
        if let Ok(mut v) = self.inner.lock() {
            if v.len() < MAX_RECORDED {
                v.push(r);
            } else {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Requests received after the log was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Everything recorded so far.
    pub fn snapshot(&self) -> Vec<Request> {
        self.inner.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// Forget everything recorded.
    pub fn clear(&self) {
        if let Ok(mut v) = self.inner.lock() {
            v.clear();
        }
    }
}
