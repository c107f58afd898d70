//! The synthetic plant: hosts, TCP sessions, and the scheduler that interleaves them in time.
//!
//! Model: `P` Modbus/TCP servers (PLCs) are polled by one SCADA server and a few
//! HMIs; `S` MQTT sensors publish telemetry to one broker. Every TCP session is
//! a small state machine that, when it wakes, plans its next exchange (a few
//! segments with their own delays) into a short per-session queue. A binary
//! heap keyed by the time of each session's next event merges the sessions, so
//! frames come out in time order and memory does not grow with the packet count.
//!
//! Exact packet count: before an exchange is accepted the scheduler checks that
//! the packets already planned, the new ones and the largest possible teardown
//! of every open session still fit the target. When they would not, the plant
//! enters its closing phase and spends the remaining budget exactly, choosing
//! between 3- and 4-way TCP closes and adding a few 2- or 3-packet exchanges.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use crate::modbus::{self, Read};
use crate::mqtt;
use crate::ot::{OtApp, Proto};
use crate::packet::{build_tcp_frame, build_udp_frame, Addr, Segment, ACK, FIN, PSH, SYN};
use crate::rng::XorShift;
use crate::{Config, SynthError};

/// 2025-01-01T00:00:00Z, where every capture starts.
const START_US: u64 = 1_735_689_600_000_000;
const MODBUS_PORT: u16 = 502;
const MQTT_PORT: u16 = 1883;
const MSS: u16 = 1460;

/// A PLC model: OUI and identity as it answers FC43/14.
#[derive(Debug)]
pub(crate) struct PlcModel {
    pub(crate) oui: [u8; 3],
    pub(crate) vendor: &'static str,
    pub(crate) product: &'static str,
    pub(crate) revision: &'static str,
    ttl: u8,
    window: u16,
}

/// PLC vendors of the plant; OUIs are real MA-L assignments, checked with
/// `skjold-oui` in `tests/capture.rs`.
pub(crate) const PLC_MODELS: &[PlcModel] = &[
    PlcModel {
        oui: [0x00, 0x0E, 0x8C],
        vendor: "Siemens",
        product: "6ES7 214-1AG40-0XB0",
        revision: "V4.5.2",
        ttl: 30,
        window: 8192,
    },
    PlcModel {
        oui: [0x00, 0x00, 0x54],
        vendor: "Schneider Electric",
        product: "BMX P34 2020",
        revision: "v3.20",
        ttl: 64,
        window: 4096,
    },
    PlcModel {
        oui: [0x00, 0x00, 0xBC],
        vendor: "Rockwell Automation",
        product: "1769-L33ER",
        revision: "33.011",
        ttl: 64,
        window: 4096,
    },
    PlcModel {
        oui: [0x00, 0x01, 0x05],
        vendor: "Beckhoff Automation",
        product: "CX9020",
        revision: "3.1.4024",
        ttl: 128,
        window: 65535,
    },
    PlcModel {
        oui: [0x00, 0x30, 0xDE],
        vendor: "WAGO",
        product: "750-881",
        revision: "01.09.18",
        ttl: 64,
        window: 5840,
    },
    PlcModel {
        oui: [0x00, 0xA0, 0x45],
        vendor: "Phoenix Contact",
        product: "ILC 131 ETH",
        revision: "4.6.0",
        ttl: 64,
        window: 8192,
    },
    PlcModel {
        oui: [0x00, 0x26, 0x92],
        vendor: "Mitsubishi Electric",
        product: "FX5U-32MT/ES",
        revision: "1.280",
        ttl: 64,
        window: 8192,
    },
];

/// Sensor platforms: Espressif Inc., Raspberry Pi Trading Ltd, MOXA, ADVANTECH.
const SENSOR_OUIS: &[[u8; 3]] = &[
    [0x24, 0x0A, 0xC4],
    [0xDC, 0xA6, 0x32],
    [0x00, 0x90, 0xE8],
    [0x00, 0xD0, 0xC9],
];
/// SCADA server (Linux) and HMI panels (Windows).
const SCADA_OUI: [u8; 3] = [0x00, 0x1E, 0x4F]; // Dell Inc.
const HMI_OUI: [u8; 3] = [0x00, 0x21, 0x5A]; // Hewlett Packard
const BROKER_OUI: [u8; 3] = [0x00, 0x06, 0x5B]; // Dell Inc.

const METRICS: &[(&str, &str, u64, u64)] = &[
    ("temperature", "C", 1500, 9000),
    ("pressure", "bar", 80, 1200),
    ("humidity", "%", 2000, 8500),
    ("vibration", "mm/s", 0, 1500),
    ("flow", "m3/h", 100, 25000),
];

/// What a host is in the plant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// SCADA server polling every PLC.
    Scada,
    /// Operator panel polling some PLCs and sometimes writing.
    Hmi,
    /// Modbus/TCP server.
    Plc,
    /// MQTT broker.
    Broker,
    /// MQTT client publishing telemetry.
    Sensor,
    /// Field device speaking another OT protocol (RTU, PLC, controller, OPC UA server).
    Device,
    /// IT server (web, TLS, SSH, FTP, RDP, VNC) on the plant network.
    Server,
    /// Engineering workstation: client of the IT/remote-access sessions.
    Workstation,
}

/// A host of the plant, as seen on the wire.
#[derive(Debug, Clone)]
pub struct Host {
    pub role: Role,
    pub mac: [u8; 6],
    pub ip: [u8; 4],
    ttl: u8,
    window: u16,
    ip_id: u16,
}

/// One planned TCP segment.
#[derive(Debug)]
struct Planned {
    t: u64,
    from_client: bool,
    flags: u8,
    payload: Vec<u8>,
}

/// Collects an exchange's segments, each a delay after the previous one.
struct Plan {
    t: u64,
    items: Vec<Planned>,
}

impl Plan {
    fn new(t: u64) -> Self {
        Self {
            t,
            items: Vec::with_capacity(8),
        }
    }

    fn push(&mut self, delay_us: u64, from_client: bool, flags: u8, payload: Vec<u8>) {
        self.t += delay_us;
        self.items.push(Planned {
            t: self.t,
            from_client,
            flags,
            payload,
        });
    }

    fn len(&self) -> u64 {
        self.items.len() as u64
    }
}

#[derive(Debug)]
struct ModbusApp {
    unit: u8,
    /// Identity to ask for with FC43/14 when the session opens (first session per PLC).
    identify: Option<&'static PlcModel>,
    transaction: u16,
    polls: Vec<Read>,
    next_poll: usize,
    period_ms: u64,
    writes: bool,
}

#[derive(Debug)]
struct MqttApp {
    client_id: String,
    user: String,
    password: String,
    topic: String,
    command_topic: String,
    unit: &'static str,
    range: (u64, u64),
    qos: u8,
    packet_id: u16,
    sequence: u64,
    period_ms: u64,
    keep_alive: u16,
}

#[derive(Debug)]
struct Other {
    app: OtApp,
    period_ms: u64,
}

#[derive(Debug)]
enum App {
    Modbus(ModbusApp),
    Mqtt(MqttApp),
    Other(Box<Other>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Not connected yet.
    Idle,
    Open,
    /// Teardown planned or never opened: no more wake-ups.
    Done,
}

#[derive(Debug)]
struct Flow {
    client: usize,
    server: usize,
    client_port: u16,
    server_port: u16,
    /// Next sequence number each side will send.
    client_next: u32,
    server_next: u32,
    queue: VecDeque<Planned>,
    phase: Phase,
    started_exchange_at: u64,
    app: App,
    /// Chosen teardown length once closing.
    close_len: u8,
    /// Extra exchanges (2 or 3 packets each) to spend the last of the budget.
    fillers: Vec<u8>,
    /// A UDP conversation (no handshake, no teardown, no sequence numbers).
    udp: bool,
}

impl Flow {
    fn min_close(&self) -> u8 {
        match self.app {
            App::Mqtt(_) => 4, // DISCONNECT + TCP close
            App::Other(_) if self.udp => 0,
            App::Modbus(_) | App::Other(_) => 3,
        }
    }

    /// Messages with the delays of a conversation: quick within a direction, slower on a turn.
    fn push_messages(plan: &mut Plan, msgs: Vec<(bool, Vec<u8>)>, rng: &mut XorShift) {
        let mut last: Option<bool> = None;
        for (from_client, payload) in msgs {
            let delay = match last {
                None => 0,
                Some(prev) if prev == from_client => rng.range(20, 300),
                Some(_) => rng.range(300, 8000),
            };
            last = Some(from_client);
            plan.push(delay, from_client, PSH | ACK, payload);
        }
    }

    fn next_u16_wrapping_nonzero(id: &mut u16) -> u16 {
        *id = id.wrapping_add(1);
        if *id == 0 {
            *id = 1;
        }
        *id
    }

    fn handshake(plan: &mut Plan, rng: &mut XorShift) {
        plan.push(0, true, SYN, Vec::new());
        plan.push(rng.range(80, 600), false, SYN | ACK, Vec::new());
        plan.push(rng.range(30, 200), true, ACK, Vec::new());
    }

    fn plan_open(&mut self, t: u64, rng: &mut XorShift) -> Plan {
        let mut plan = Plan::new(t);
        Self::handshake(&mut plan, rng);
        match &mut self.app {
            App::Modbus(m) => {
                if let Some(model) = m.identify {
                    let tid = Self::next_u16_wrapping_nonzero(&mut m.transaction);
                    let req = modbus::adu(tid, m.unit, &modbus::device_id_request());
                    let resp =
                        modbus::device_id_response(model.vendor, model.product, model.revision);
                    plan.push(rng.range(200, 2000), true, PSH | ACK, req);
                    plan.push(
                        rng.range(1000, 15_000),
                        false,
                        PSH | ACK,
                        modbus::adu(tid, m.unit, &resp),
                    );
                    plan.push(rng.range(200, 40_000), true, ACK, Vec::new());
                }
            }
            App::Mqtt(q) => {
                let pid = Self::next_u16_wrapping_nonzero(&mut q.packet_id);
                plan.push(
                    rng.range(100, 1500),
                    true,
                    PSH | ACK,
                    mqtt::connect(&q.client_id, &q.user, &q.password, q.keep_alive),
                );
                plan.push(rng.range(200, 3000), false, PSH | ACK, mqtt::connack());
                plan.push(
                    rng.range(100, 1000),
                    true,
                    PSH | ACK,
                    mqtt::subscribe(pid, &q.command_topic, 1),
                );
                plan.push(rng.range(100, 2000), false, PSH | ACK, mqtt::suback(pid, 1));
                plan.push(rng.range(200, 40_000), true, ACK, Vec::new());
            }
            App::Other(o) => {
                let msgs = o.app.open(rng);
                if self.udp {
                    plan.items.clear();
                    plan.t = t;
                    Self::push_messages(&mut plan, msgs, rng);
                } else {
                    let last = msgs.last().map(|m| m.0);
                    plan.t += rng.range(100, 1500);
                    Self::push_messages(&mut plan, msgs, rng);
                    if let Some(from_client) = last {
                        plan.push(rng.range(200, 40_000), !from_client, ACK, Vec::new());
                    }
                }
            }
        }
        plan
    }

    /// One regular exchange. `len` forces a 2- or 3-packet exchange (fillers).
    fn plan_step(&mut self, t: u64, rng: &mut XorShift, len: Option<u8>) -> Plan {
        let mut plan = Plan::new(t);
        let trailing_ack = match len {
            Some(n) => n == 3,
            None => rng.chance(50),
        };
        match &mut self.app {
            App::Modbus(m) => {
                let tid = Self::next_u16_wrapping_nonzero(&mut m.transaction);
                let (req, resp) = if len.is_none() && m.writes && rng.chance(2) {
                    let address = rng.range(0, 200) as u16;
                    if rng.chance(60) {
                        let p = modbus::write_single_register(address, rng.range(0, 1000) as u16);
                        (p.clone(), p)
                    } else {
                        let values: Vec<u16> = (0..rng.range(2, 12))
                            .map(|_| rng.range(0, 1000) as u16)
                            .collect();
                        modbus::write_multiple_registers(address, &values)
                    }
                } else {
                    let read = m.polls[m.next_poll];
                    m.next_poll = (m.next_poll + 1) % m.polls.len();
                    (modbus::read_request(read), modbus::read_response(read, rng))
                };
                plan.push(0, true, PSH | ACK, modbus::adu(tid, m.unit, &req));
                plan.push(
                    rng.range(800, 20_000),
                    false,
                    PSH | ACK,
                    modbus::adu(tid, m.unit, &resp),
                );
                if trailing_ack {
                    plan.push(rng.range(200, 40_000), true, ACK, Vec::new());
                }
            }
            App::Other(o) => {
                let mut msgs = o.app.exchange(rng);
                if let Some(n) = len {
                    // Fillers: exactly n messages, cut from as many exchanges as it takes.
                    while msgs.len() < usize::from(n) {
                        msgs.extend(o.app.exchange(rng));
                    }
                    msgs.truncate(usize::from(n));
                    Self::push_messages(&mut plan, msgs, rng);
                } else {
                    let last = msgs.last().map(|m| m.0);
                    Self::push_messages(&mut plan, msgs, rng);
                    if let (false, true, Some(from_client)) = (self.udp, trailing_ack, last) {
                        plan.push(rng.range(200, 40_000), !from_client, ACK, Vec::new());
                    }
                }
            }
            App::Mqtt(q) => {
                let roll = if len.is_some() { 99 } else { rng.range(0, 99) };
                if roll < 3 {
                    plan.push(0, true, PSH | ACK, mqtt::pingreq());
                    plan.push(rng.range(150, 3000), false, PSH | ACK, mqtt::pingresp());
                    if trailing_ack {
                        plan.push(rng.range(200, 40_000), true, ACK, Vec::new());
                    }
                } else if roll < 5 {
                    // A command pushed by the broker on the subscribed topic.
                    let pid = Self::next_u16_wrapping_nonzero(&mut q.packet_id);
                    let body = format!("{{\"cmd\":\"setpoint\",\"value\":{}}}", rng.range(10, 90));
                    plan.push(
                        0,
                        false,
                        PSH | ACK,
                        mqtt::publish(&q.command_topic, 1, pid, body.as_bytes()),
                    );
                    plan.push(rng.range(500, 8000), true, PSH | ACK, mqtt::puback(pid));
                    plan.push(rng.range(200, 40_000), false, ACK, Vec::new());
                } else {
                    q.sequence += 1;
                    let raw = rng.range(q.range.0, q.range.1);
                    let body = format!(
                        "{{\"seq\":{},\"value\":{}.{:02},\"unit\":\"{}\"}}",
                        q.sequence,
                        raw / 100,
                        raw % 100,
                        q.unit
                    );
                    // Fillers fix the length: 2 = QoS 0 + ACK, 3 = QoS 1 + PUBACK + ACK.
                    let qos = match len {
                        Some(2) => 0,
                        Some(_) => 1,
                        None => q.qos,
                    };
                    if qos == 0 {
                        plan.push(
                            0,
                            true,
                            PSH | ACK,
                            mqtt::publish(&q.topic, 0, 0, body.as_bytes()),
                        );
                        plan.push(rng.range(200, 40_000), false, ACK, Vec::new());
                    } else {
                        let pid = Self::next_u16_wrapping_nonzero(&mut q.packet_id);
                        plan.push(
                            0,
                            true,
                            PSH | ACK,
                            mqtt::publish(&q.topic, 1, pid, body.as_bytes()),
                        );
                        plan.push(rng.range(150, 3000), false, PSH | ACK, mqtt::puback(pid));
                        if trailing_ack {
                            plan.push(rng.range(200, 40_000), true, ACK, Vec::new());
                        }
                    }
                }
            }
        }
        plan
    }

    /// Teardown of `len` packets: the client closes (MQTT after a DISCONNECT).
    fn plan_close(&mut self, t: u64, rng: &mut XorShift, len: u8) -> Plan {
        let mut plan = Plan::new(t);
        if self.udp {
            return plan;
        }
        let mut tcp_len = len;
        if let App::Mqtt(_) = self.app {
            plan.push(0, true, PSH | ACK, mqtt::disconnect());
            tcp_len -= 1;
        }
        plan.push(rng.range(50, 500), true, FIN | ACK, Vec::new());
        if tcp_len == 4 {
            plan.push(rng.range(80, 600), false, ACK, Vec::new());
        }
        plan.push(rng.range(80, 600), false, FIN | ACK, Vec::new());
        plan.push(rng.range(30, 200), true, ACK, Vec::new());
        plan
    }

    /// When the next exchange starts after the current one ended at `now`.
    fn next_wake(&self, now: u64, rng: &mut XorShift) -> u64 {
        let period_ms = match &self.app {
            App::Modbus(m) => m.period_ms,
            App::Mqtt(q) => q.period_ms,
            App::Other(o) => o.period_ms,
        };
        let jitter = period_ms * 1000 / 10;
        let due = self.started_exchange_at + period_ms * 1000 - jitter + rng.range(0, 2 * jitter);
        due.max(now + 500)
    }
}

/// Counts describing a generated plant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlantInfo {
    pub plcs: usize,
    pub sensors: usize,
    pub masters: usize,
    pub modbus_sessions: usize,
    pub mqtt_sessions: usize,
    /// Devices and sessions (TCP connections or UDP conversations) of the other protocols.
    pub other_devices: usize,
    pub other_sessions: usize,
}

/// One generated frame: Ethernet bytes and capture time.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// Microseconds since the Unix epoch.
    pub ts_us: u64,
    /// The whole Ethernet frame (no FCS).
    pub data: &'a [u8],
}

/// Streams the frames of a synthetic plant in time order.
///
/// ```
/// let config = skjold_synth::Config { packets: 500, ..Default::default() };
/// let mut gen = skjold_synth::Generator::new(&config).unwrap();
/// let mut n = 0;
/// while let Some(frame) = gen.next_frame() {
///     assert!(frame.data.len() >= 60);
///     n += 1;
/// }
/// assert_eq!(n, 500);
/// ```
#[derive(Debug)]
pub struct Generator {
    hosts: Vec<Host>,
    flows: Vec<Flow>,
    heap: BinaryHeap<Reverse<(u64, u32)>>,
    rng: XorShift,
    target: u64,
    emitted: u64,
    queued: u64,
    reserve: u64,
    closing: bool,
    frame: Vec<u8>,
    info: PlantInfo,
}

fn host_mac(oui: [u8; 3], index: usize, salt: u32) -> [u8; 6] {
    // Odd multiplier: a bijection on 24 bits, so MACs of one OUI never collide.
    let low = ((index as u32).wrapping_mul(0x9E37_79B1) ^ salt) & 0x00FF_FFFF;
    let b = low.to_be_bytes();
    [oui[0], oui[1], oui[2], b[1], b[2], b[3]]
}

fn field_ip(index: usize) -> [u8; 4] {
    [10, 10, 1 + (index / 240) as u8, 10 + (index % 240) as u8]
}

impl Generator {
    pub fn new(config: &Config) -> Result<Self, SynthError> {
        config.validate()?;
        let mut rng = XorShift::new(config.seed);
        let devices = config.devices as usize;
        let others: Vec<Proto> = Proto::ALL
            .iter()
            .copied()
            .filter(|p| config.mix.others & p.bit() != 0)
            .collect();
        // Devices per protocol when there are others: an even share, at least one.
        let mut shares = Vec::new();
        let (plcs, sensors) = if others.is_empty() {
            match (config.mix.modbus, config.mix.mqtt) {
                (true, true) => {
                    let p = (devices * 3).div_ceil(5);
                    (p, devices - p)
                }
                (true, false) => (devices, 0),
                _ => (0, devices),
            }
        } else {
            let n = usize::from(config.mix.modbus) + usize::from(config.mix.mqtt) + others.len();
            shares = (0..n)
                .map(|k| (devices / n + usize::from(k < devices % n)).max(1))
                .collect();
            let p = if config.mix.modbus {
                shares.remove(0)
            } else {
                0
            };
            let s = if config.mix.mqtt { shares.remove(0) } else { 0 };
            (p, s)
        };
        let salt = rng.next_u32() & 0x00FF_FFFF;
        let mut hosts = Vec::new();
        let mut host = |role, mac, ip, ttl, window, rng: &mut XorShift| {
            hosts.push(Host {
                role,
                mac,
                ip,
                ttl,
                window,
                ip_id: rng.next_u16(),
            });
            hosts.len() - 1
        };
        let hmis = if plcs == 0 { 0 } else { (plcs / 8).min(2) };
        let mut masters = Vec::new();
        if plcs > 0 {
            masters.push(host(
                Role::Scada,
                host_mac(SCADA_OUI, 0, salt),
                [10, 10, 0, 10],
                64,
                64240,
                &mut rng,
            ));
            for h in 0..hmis {
                masters.push(host(
                    Role::Hmi,
                    host_mac(HMI_OUI, h, salt),
                    [10, 10, 0, 20 + h as u8],
                    128,
                    65535,
                    &mut rng,
                ));
            }
        }
        let broker = (sensors > 0).then(|| {
            host(
                Role::Broker,
                host_mac(BROKER_OUI, 0, salt),
                [10, 10, 0, 5],
                64,
                64240,
                &mut rng,
            )
        });
        let mut flows = Vec::new();
        let mut info = PlantInfo {
            plcs,
            sensors,
            masters: masters.len(),
            ..PlantInfo::default()
        };
        for i in 0..plcs {
            let model_index = rng.range(0, PLC_MODELS.len() as u64 - 1) as usize;
            let model = &PLC_MODELS[model_index];
            let plc = host(
                Role::Plc,
                host_mac(model.oui, i, salt),
                field_ip(i),
                model.ttl,
                model.window,
                &mut rng,
            );
            // The SCADA polls every PLC; HMI h also polls PLCs i with i % (hmis + 1) == h + 1.
            let mut pollers = vec![(masters[0], true)];
            if hmis > 0 && i % (hmis + 1) != 0 {
                pollers.push((masters[i % (hmis + 1)], false));
            }
            for (n, (master, is_scada)) in pollers.into_iter().enumerate() {
                let polls = (0..rng.range(1, 4))
                    .map(|_| Read::random(&mut rng))
                    .collect();
                flows.push(Flow {
                    client: master,
                    server: plc,
                    client_port: rng.range(49152, 65535) as u16,
                    server_port: MODBUS_PORT,
                    client_next: rng.next_u32(),
                    server_next: rng.next_u32(),
                    queue: VecDeque::new(),
                    phase: Phase::Idle,
                    started_exchange_at: 0,
                    app: App::Modbus(ModbusApp {
                        unit: if model.vendor == "Schneider Electric" {
                            255
                        } else {
                            1
                        },
                        identify: (n == 0).then_some(model),
                        transaction: rng.next_u16(),
                        polls,
                        next_poll: 0,
                        period_ms: if is_scada {
                            rng.range(100, 1000)
                        } else {
                            rng.range(250, 1000)
                        },
                        writes: !is_scada,
                    }),
                    close_len: 0,
                    fillers: Vec::new(),
                    udp: false,
                });
                info.modbus_sessions += 1;
            }
        }
        if let Some(broker) = broker {
            for j in 0..sensors {
                let oui = *rng.pick(SENSOR_OUIS);
                let sensor = host(
                    Role::Sensor,
                    host_mac(oui, j, salt),
                    field_ip(plcs + j),
                    64,
                    5760,
                    &mut rng,
                );
                let &(metric, unit, lo, hi) = rng.pick(METRICS);
                let client_id = format!("sensor-{j:04}");
                let area = j % 6 + 1;
                let slow = rng.chance(20);
                flows.push(Flow {
                    client: sensor,
                    server: broker,
                    client_port: rng.range(32768, 60999) as u16,
                    server_port: MQTT_PORT,
                    client_next: rng.next_u32(),
                    server_next: rng.next_u32(),
                    queue: VecDeque::new(),
                    phase: Phase::Idle,
                    started_exchange_at: 0,
                    app: App::Mqtt(MqttApp {
                        topic: format!("plant/area{area}/{client_id}/{metric}"),
                        command_topic: format!("plant/area{area}/{client_id}/cmd"),
                        user: format!("area{area}-telemetry"),
                        password: format!("{:08x}", rng.next_u32()),
                        client_id,
                        unit,
                        range: (lo, hi),
                        qos: u8::from(rng.chance(40)),
                        packet_id: 0,
                        sequence: 0,
                        period_ms: if slow {
                            rng.range(10_000, 30_000)
                        } else {
                            rng.range(1000, 5000)
                        },
                        keep_alive: 60,
                    }),
                    close_len: 0,
                    fillers: Vec::new(),
                    udp: false,
                });
                info.mqtt_sessions += 1;
            }
        }
        if !others.is_empty() {
            // Field protocols are polled by the SCADA server, IT sessions come
            // from an engineering workstation.
            let scada = match masters.first() {
                Some(&m) => m,
                None => host(
                    Role::Scada,
                    host_mac(SCADA_OUI, 0, salt),
                    [10, 10, 0, 10],
                    64,
                    64240,
                    &mut rng,
                ),
            };
            let workstation = host(
                Role::Workstation,
                host_mac(HMI_OUI, 7, salt),
                [10, 10, 0, 30],
                128,
                65535,
                &mut rng,
            );
            let mut next_ip = plcs + sensors;
            for (proto, count) in others.iter().copied().zip(shares) {
                for k in 0..count {
                    let field = proto.field_device();
                    let (oui, ttl, window) = if field {
                        let model = rng.pick(PLC_MODELS);
                        (model.oui, model.ttl, model.window)
                    } else {
                        (SCADA_OUI, 64, 64240)
                    };
                    let server = host(
                        if field { Role::Device } else { Role::Server },
                        host_mac(oui, next_ip, salt),
                        field_ip(next_ip),
                        ttl,
                        window,
                        &mut rng,
                    );
                    next_ip += 1;
                    info.other_devices += 1;
                    let (lo, hi) = proto.period_ms();
                    let client_port = match proto {
                        Proto::Bacnet => 47808,
                        _ => rng.range(49152, 65535) as u16,
                    };
                    flows.push(Flow {
                        client: if field { scada } else { workstation },
                        server,
                        client_port,
                        server_port: proto.port(),
                        client_next: rng.next_u32(),
                        server_next: rng.next_u32(),
                        queue: VecDeque::new(),
                        phase: Phase::Idle,
                        started_exchange_at: 0,
                        app: App::Other(Box::new(Other {
                            app: OtApp::new(proto, k as u32, &mut rng),
                            period_ms: rng.range(lo, hi),
                        })),
                        close_len: 0,
                        fillers: Vec::new(),
                        udp: proto.udp(),
                    });
                    info.other_sessions += 1;
                }
            }
        }
        let mut heap = BinaryHeap::with_capacity(flows.len());
        for i in 0..flows.len() {
            // Sessions connect over the first two seconds.
            heap.push(Reverse((START_US + rng.range(0, 2_000_000), i as u32)));
        }
        Ok(Self {
            hosts,
            flows,
            heap,
            rng,
            target: config.packets,
            emitted: 0,
            queued: 0,
            reserve: 0,
            closing: false,
            frame: Vec::with_capacity(2048),
            info,
        })
    }

    /// The plant's hosts (PLCs, masters, broker, sensors).
    pub fn hosts(&self) -> &[Host] {
        &self.hosts
    }

    /// Counts of devices and sessions.
    pub fn info(&self) -> &PlantInfo {
        &self.info
    }

    /// Next frame in time order, or `None` when the target count is reached
    /// and every session is closed.
    pub fn next_frame(&mut self) -> Option<Frame<'_>> {
        loop {
            let Reverse((t, index)) = self.heap.pop()?;
            let i = index as usize;
            if self.flows[i].queue.is_empty() {
                self.wake(i, t);
                if let Some(p) = self.flows[i].queue.front() {
                    self.heap.push(Reverse((p.t, index)));
                }
                continue;
            }
            let p = self.flows[i].queue.pop_front().expect("queue is not empty");
            self.queued -= 1;
            self.emitted += 1;
            if let Some(next) = self.flows[i].queue.front() {
                self.heap.push(Reverse((next.t, index)));
            } else if self.flows[i].phase != Phase::Done {
                let wake = self.flows[i].next_wake(p.t, &mut self.rng);
                self.heap.push(Reverse((wake, index)));
            }
            self.emit(i, &p);
            return Some(Frame {
                ts_us: p.t,
                data: &self.frame,
            });
        }
    }

    fn enqueue(&mut self, i: usize, plan: Plan) {
        self.queued += plan.len();
        self.flows[i].queue.extend(plan.items);
    }

    fn wake(&mut self, i: usize, t: u64) {
        let flow = &mut self.flows[i];
        flow.started_exchange_at = t;
        if flow.phase == Phase::Done {
            return;
        }
        if !self.closing {
            let opening = flow.phase == Phase::Idle;
            let plan = if opening {
                flow.plan_open(t, &mut self.rng)
            } else {
                flow.plan_step(t, &mut self.rng, None)
            };
            let extra_reserve = if opening && !flow.udp {
                u64::from(flow.min_close()) + 1
            } else {
                0
            };
            if self.emitted + self.queued + plan.len() + self.reserve + extra_reserve <= self.target
            {
                if opening {
                    flow.phase = Phase::Open;
                    self.reserve += extra_reserve;
                }
                self.enqueue(i, plan);
                return;
            }
            if opening {
                // Too little budget left to open and close this session: skip it,
                // the open ones go on until their next exchange no longer fits.
                self.flows[i].phase = Phase::Done;
                return;
            }
            self.enter_closing();
        }
        let flow = &mut self.flows[i];
        let plan = match flow.phase {
            Phase::Idle => {
                flow.phase = Phase::Done;
                return;
            }
            Phase::Open => {
                if let Some(len) = flow.fillers.pop() {
                    flow.plan_step(t, &mut self.rng, Some(len))
                } else {
                    flow.phase = Phase::Done;
                    let len = flow.close_len;
                    flow.plan_close(t, &mut self.rng, len)
                }
            }
            Phase::Done => return,
        };
        self.enqueue(i, plan);
    }

    /// Spends the remaining budget exactly on teardowns and a few fillers.
    fn enter_closing(&mut self) {
        self.closing = true;
        let budget = self.target - self.emitted - self.queued;
        debug_assert!(budget >= self.reserve);
        let open: Vec<usize> = (0..self.flows.len())
            .filter(|&i| self.flows[i].phase == Phase::Open && !self.flows[i].udp)
            .collect();
        let open_udp: Vec<usize> = (0..self.flows.len())
            .filter(|&i| self.flows[i].phase == Phase::Open && self.flows[i].udp)
            .collect();
        if open.is_empty() {
            // Only UDP conversations: they need no teardown, so single
            // datagrams spend the budget.
            if !open_udp.is_empty() {
                for n in 0..(budget - self.reserve) as usize {
                    self.flows[open_udp[n % open_udp.len()]].fillers.push(1);
                }
            }
            return;
        }
        for &i in &open_udp {
            self.flows[i].phase = Phase::Done;
        }
        for &i in &open {
            self.flows[i].close_len = self.flows[i].min_close() + 1;
        }
        let mut extra = budget - self.reserve;
        if extra == 1 {
            self.flows[open[0]].close_len -= 1;
            extra = 2;
        }
        let mut chunks = Vec::new();
        if extra % 2 == 1 {
            chunks.push(3);
            extra -= 3;
        }
        chunks.extend(std::iter::repeat_n(2u8, (extra / 2) as usize));
        for (n, len) in chunks.into_iter().enumerate() {
            self.flows[open[n % open.len()]].fillers.push(len);
        }
    }

    /// Builds the frame for `p` into `self.frame`, advancing sequence numbers.
    fn emit(&mut self, i: usize, p: &Planned) {
        let flow = &mut self.flows[i];
        let (src_host, dst_host, src_port, dst_port) = if p.from_client {
            (flow.client, flow.server, flow.client_port, flow.server_port)
        } else {
            (flow.server, flow.client, flow.server_port, flow.client_port)
        };
        let (seq, ack) = if p.from_client {
            (flow.client_next, flow.server_next)
        } else {
            (flow.server_next, flow.client_next)
        };
        let consumed = p.payload.len() as u32 + u32::from(p.flags & (SYN | FIN) != 0);
        if p.from_client {
            flow.client_next = flow.client_next.wrapping_add(consumed);
        } else {
            flow.server_next = flow.server_next.wrapping_add(consumed);
        }
        let is_syn = p.flags & SYN != 0;
        let src = &mut self.hosts[src_host];
        src.ip_id = src.ip_id.wrapping_add(1);
        let (src_mac, src_ip, ip_id, ttl, window) =
            (src.mac, src.ip, src.ip_id, src.ttl, src.window);
        let dst = &self.hosts[dst_host];
        if flow.udp {
            build_udp_frame(
                &mut self.frame,
                Addr {
                    mac: src_mac,
                    ip: src_ip,
                    port: src_port,
                },
                Addr {
                    mac: dst.mac,
                    ip: dst.ip,
                    port: dst_port,
                },
                ip_id,
                ttl,
                &p.payload,
            );
            return;
        }
        build_tcp_frame(
            &mut self.frame,
            &Segment {
                src: Addr {
                    mac: src_mac,
                    ip: src_ip,
                    port: src_port,
                },
                dst: Addr {
                    mac: dst.mac,
                    ip: dst.ip,
                    port: dst_port,
                },
                ip_id,
                ttl,
                seq,
                // A bare SYN carries no acknowledgement.
                ack: if p.flags == SYN { 0 } else { ack },
                flags: p.flags,
                window,
                mss: is_syn.then_some(MSS),
                payload: &p.payload,
            },
        );
    }
}
