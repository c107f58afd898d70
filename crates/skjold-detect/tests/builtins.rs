//! The built-in detections that need no baseline run through the public [`Detector`]: a short
//! attack story (identification, PLC stop, program download, a VNC session, ARP spoofing) gives
//! exactly the expected alerts, with their technique ids, and normal polling gives none.

use skjold_detect::obs::{Arp, Control, FlowRef, Host, Op, OpClass};
use skjold_detect::{DetectConfig, Detector, Obs, What};

const T0: u64 = 1_700_000_000_000_000;

fn host(ip: &str, port: u16) -> Host {
    Host {
        ip: ip.parse().unwrap(),
        port,
        mac: None,
    }
}

fn flow(id: u64, client: &str, server: &str, port: u16, proto: &'static str) -> FlowRef {
    FlowRef {
        flow_id: id,
        client: host(client, 49_152),
        server: host(server, port),
        tcp: true,
        proto,
        from_client: true,
    }
}

fn at(n: u64, flow: Option<FlowRef>, what: What) -> Obs {
    Obs {
        ts: T0 + n * 1_000_000,
        pcap_cnt: n,
        flow,
        what,
    }
}

fn s7(class: OpClass, function: u32, name: &'static str, control: Option<Control>) -> What {
    What::Op(Op {
        control,
        ..Op::new(class, function, name)
    })
}

fn arp(mac_last: u8, ip: &str) -> What {
    What::Arp(Arp {
        op: 2,
        sender_mac: [2, 0, 0, 0, 0, mac_last],
        sender_ip: ip.parse().unwrap(),
        target_ip: "127.0.1.1".parse().unwrap(),
        gratuitous: false,
    })
}

fn run(mut obs: Vec<Obs>) -> Vec<(u32, String, Vec<&'static str>)> {
    let mut d = Detector::new(DetectConfig {
        window_us: 60_000_000,
        ..DetectConfig::default()
    });
    d.feed(&mut obs);
    let mut alerts = d.take_alerts();
    alerts.extend(d.finish().0);
    alerts
        .into_iter()
        .map(|a| (a.meta.sid, a.message, a.meta.mitre.to_vec()))
        .collect()
}

/// An HMI polling a PLC and a Modbus device, with stable ARP.
fn normal() -> Vec<Obs> {
    let plc = flow(1, "127.0.1.10", "127.0.1.11", 102, "s7comm");
    let mb = flow(2, "127.0.1.10", "127.0.1.12", 502, "modbus");
    let mut obs = vec![
        at(1, Some(plc), What::FlowStart),
        at(2, Some(plc), What::AppDetected),
        at(3, Some(mb), What::FlowStart),
        at(4, Some(mb), What::AppDetected),
        at(5, None, arp(0x11, "127.0.1.11")),
    ];
    for i in 0..20 {
        obs.push(at(
            10 + 2 * i,
            Some(plc),
            s7(OpClass::Read, 4, "read_var", None),
        ));
        let read = Op {
            unit: Some(1),
            ..Op::new(OpClass::Read, 3, "read_holding_registers")
        };
        obs.push(at(11 + 2 * i, Some(mb), What::Op(read)));
    }
    obs.push(at(60, None, arp(0x11, "127.0.1.11")));
    obs
}

#[test]
fn normal_polling_raises_no_alert() {
    assert_eq!(run(normal()), []);
}

#[test]
fn an_attack_story_raises_exactly_the_expected_alerts() {
    let mut obs = normal();
    let atk = flow(9, "127.0.1.66", "127.0.1.11", 102, "s7comm");
    let vnc = flow(10, "127.0.1.66", "127.0.1.20", 5900, "vnc");
    obs.extend([
        at(100, None, arp(0x66, "127.0.1.66")),
        at(101, Some(atk), What::FlowStart),
        at(102, Some(atk), What::AppDetected),
        at(103, Some(atk), s7(OpClass::Identify, 4, "read_szl", None)),
        at(
            104,
            Some(atk),
            s7(OpClass::Control, 0x29, "plc_stop", Some(Control::Stop)),
        ),
        at(
            105,
            Some(atk),
            s7(
                OpClass::Control,
                0x1a,
                "request_download",
                Some(Control::ProgramDownload),
            ),
        ),
        at(106, Some(vnc), What::FlowStart),
        at(107, Some(vnc), What::AppDetected),
        at(108, None, arp(0x66, "127.0.1.11")),
    ]);
    let alerts = run(obs);
    assert_eq!(
        alerts,
        [
            (
                8_200_115,
                "127.0.1.66 asked the S7 PLC 127.0.1.11 to identify itself (s7comm function \
                 read_szl)"
                    .to_owned(),
                vec!["T0888"]
            ),
            (
                8_200_101,
                "127.0.1.66 sent a STOP command to the S7 PLC 127.0.1.11 (s7comm function \
                 plc_stop)"
                    .to_owned(),
                vec!["T0816", "T0858"]
            ),
            (
                8_200_104,
                "127.0.1.66 downloaded a program or block to the S7 PLC 127.0.1.11 (s7comm \
                 function request_download)"
                    .to_owned(),
                vec!["T0843"]
            ),
            (
                8_200_116,
                "127.0.1.66 opened a VNC remote-access session to 127.0.1.20".to_owned(),
                vec!["T0822", "T0886"]
            ),
            (
                8_200_125,
                "02:00:00:00:00:66 (127.0.1.66) claimed the IP address 127.0.1.11, which \
                 belonged to 02:00:00:00:00:11 (possible ARP spoofing)"
                    .to_owned(),
                vec!["T0830"]
            ),
        ]
    );
}
