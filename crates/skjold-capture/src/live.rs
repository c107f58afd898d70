//! Live capture from a network interface through libpcap (the `pcap` crate). Needs the
//! capture privilege (root or `CAP_NET_RAW`); nothing else in Skjold does.

use crate::{CaptureError, Item, LinkType, Packet};
use std::ops::ControlFlow;

/// libpcap's buffer timeout (ms).
const READ_TIMEOUT_MS: i32 = 100;
/// Pause when no packet is waiting (the capture is non-blocking, so that the consumer gets an
/// [`Item::Idle`] at a steady pace even on a silent interface).
const IDLE_SLEEP: std::time::Duration = std::time::Duration::from_millis(20);

/// A live capture on one interface.
pub struct LiveCapture {
    iface: String,
    cap: pcap::Capture<pcap::Active>,
    linktype: LinkType,
}

impl std::fmt::Debug for LiveCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveCapture")
            .field("iface", &self.iface)
            .field("linktype", &self.linktype)
            .finish_non_exhaustive()
    }
}

impl LiveCapture {
    /// Open `iface` (promiscuous, full snap length, optional BPF filter).
    pub fn open(iface: &str, filter: Option<&str>) -> Result<LiveCapture, CaptureError> {
        let err = |e: pcap::Error| CaptureError::Live {
            iface: iface.to_owned(),
            msg: e.to_string(),
        };
        let mut cap = pcap::Capture::from_device(iface)
            .map_err(err)?
            .promisc(true)
            .snaplen(65535)
            .timeout(READ_TIMEOUT_MS)
            .immediate_mode(true)
            .open()
            .map_err(err)?
            .setnonblock()
            .map_err(err)?;
        if let Some(f) = filter {
            cap.filter(f, true).map_err(err)?;
        }
        let linktype = LinkType(cap.get_datalink().0 as u32);
        Ok(LiveCapture {
            iface: iface.to_owned(),
            cap,
            linktype,
        })
    }

    /// Deliver packets (and an `Idle` about every 20 ms without traffic) until `f` breaks.
    pub fn for_each<F>(&mut self, mut f: F) -> Result<(), CaptureError>
    where
        F: FnMut(Item<'_>) -> ControlFlow<()>,
    {
        loop {
            let flow = match self.cap.next_packet() {
                Ok(p) => {
                    let secs = u64::try_from(p.header.ts.tv_sec).unwrap_or(0);
                    let usecs = u64::try_from(p.header.ts.tv_usec).unwrap_or(0);
                    f(Item::Packet(Packet {
                        ts_micros: secs * 1_000_000 + usecs,
                        linktype: self.linktype,
                        data: p.data,
                        orig_len: p.header.len,
                    }))
                }
                Err(pcap::Error::TimeoutExpired) => {
                    std::thread::sleep(IDLE_SLEEP);
                    f(Item::Idle)
                }
                Err(e) => {
                    return Err(CaptureError::Live {
                        iface: self.iface.clone(),
                        msg: e.to_string(),
                    })
                }
            };
            if flow.is_break() {
                return Ok(());
            }
        }
    }
}
