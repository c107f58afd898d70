//! **`remote_access`** (8200116, severity 2). Detects a remote-access session inside the monitored
//! network: VNC (RFB), RDP, `TeamViewer`, `AnyDesk` or Telnet, as soon as the flow's protocol is
//! recognised.
//!
//! Remote-access tools give whoever holds the session the operator's screen and keyboard, so
//! they bypass every control that protocol-level monitoring relies on. They are the entry point
//! of many plant intrusions: the 2021 Oldsmar (Florida) water treatment intrusion was a
//! `TeamViewer` session on an HMI, and the 2015 Ukraine grid attacks drove the operators' own
//! remote tools (T0822 External Remote Services, T0886 Remote Services). Telnet also sends its
//! password in clear text. Maintenance access should go through a managed jump host; any other
//! session deserves a look.
//!
//! One alert per client, server and tool; repeats within the deduplication window are counted
//! into it.
//!
//! Example alert message:
//!
//! ```text
//! 127.0.1.66 opened a VNC remote-access session to 127.0.1.20
//! ```
//!
//! References:
//! - MITRE ATT&CK for ICS T0822 External Remote Services: <https://attack.mitre.org/techniques/T0822/>
//! - MITRE ATT&CK for ICS T0886 Remote Services: <https://attack.mitre.org/techniques/T0886/>
//! - ETSI EN 303 645 provision 5.6-1 (unused network and logical interfaces disabled).
//! - IEC 62443-3-3 SR 1.13 (Access via untrusted networks), SR 2.6 (Remote session termination),
//!   SR 5.1 (Network segmentation).

use super::common::flow_evidence;
use super::{key, Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Obs, What};

/// The detection's description.
pub(crate) static META: Meta = Meta {
    sid: 8_200_116,
    name: "remote_access",
    signature: "Remote-access session (VNC, RDP, TeamViewer, AnyDesk, Telnet)",
    category: "Remote access",
    severity: 2,
    mitre: &["T0822", "T0886"],
    etsi: &["5.6-1"],
    iec: &["SR 1.13", "SR 2.6", "SR 5.1"],
};

/// The tool's name for a recognised protocol, when it is a remote-access tool.
fn tool(proto: &str) -> Option<&'static str> {
    Some(match proto {
        "vnc" => "VNC",
        "rdp" => "RDP",
        "teamviewer" => "TeamViewer",
        "anydesk" => "AnyDesk",
        "telnet" => "Telnet",
        _ => return None,
    })
}

/// Alerts on every recognised remote-access flow.
#[derive(Debug, Default)]
pub(crate) struct RemoteAccess;

impl Detection for RemoteAccess {
    fn meta(&self) -> &'static Meta {
        &META
    }
    fn kinds(&self) -> u16 {
        super::kind::APP_DETECTED
    }

    fn check(&mut self, obs: &Obs, cx: &mut Cx<'_>) {
        let (What::AppDetected, Some(f)) = (&obs.what, &obs.flow) else {
            return;
        };
        let Some(name) = tool(f.proto) else {
            return;
        };
        let cause = (f.client.ip, f.server.ip, f.proto);
        cx.alert(&META, key(&cause), obs, || {
            let message = format!(
                "{} opened a {name} remote-access session to {}",
                f.client.ip, f.server.ip
            );
            let mut e = flow_evidence(f);
            e.insert("tool".into(), name.into());
            e.insert("server_port".into(), f.server.port.into());
            (message, e)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::RemoteAccess;
    use crate::builtin::common::testkit::{at, flow, run};
    use crate::obs::What;

    #[test]
    fn a_vnc_session_alerts_naming_tool_client_and_server() {
        let f = flow("127.0.1.66", "127.0.1.20", "vnc");
        let alerts = run(
            &mut RemoteAccess,
            &[
                at(0, Some(f), What::AppDetected),
                at(9, Some(f), What::AppDetected),
            ],
        );
        assert_eq!(alerts.len(), 1);
        let a = &alerts[0];
        assert_eq!(a.meta.sid, 8_200_116);
        assert_eq!(a.count, 2);
        assert_eq!(
            a.message,
            "127.0.1.66 opened a VNC remote-access session to 127.0.1.20"
        );
        assert_eq!(a.evidence["tool"], "VNC");
        assert_eq!(a.evidence["protocol"], "vnc");
        assert_eq!(a.evidence["client"], "127.0.1.66");
    }

    #[test]
    fn every_tool_is_recognised_and_other_protocols_are_not() {
        for (proto, name) in [
            ("rdp", "RDP"),
            ("teamviewer", "TeamViewer"),
            ("anydesk", "AnyDesk"),
            ("telnet", "Telnet"),
        ] {
            let f = flow("127.0.1.66", "127.0.1.20", proto);
            let alerts = run(&mut RemoteAccess, &[at(0, Some(f), What::AppDetected)]);
            assert_eq!(alerts.len(), 1, "{proto}");
            assert_eq!(alerts[0].evidence["tool"], name);
        }
        for proto in ["modbus", "ssh", "tls", "tcp"] {
            let f = flow("127.0.1.66", "127.0.1.20", proto);
            assert!(run(&mut RemoteAccess, &[at(0, Some(f), What::AppDetected)]).is_empty());
        }
        let f = flow("127.0.1.66", "127.0.1.20", "vnc");
        assert!(run(&mut RemoteAccess, &[at(0, Some(f), What::FlowStart)]).is_empty());
    }
}
