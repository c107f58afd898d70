//! Parse throughput of typical MQTT traffic (MQTT 3.1.1 and 5.0): streams of small telemetry
//! PUBLISH packets, `QoS` 1 acknowledgements and a 5.0 PUBLISH with properties.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use skjold_proto::mqtt::{parse_packet, DEFAULT_MAX_PACKET};

fn stream(packet: &[u8], n: usize) -> Vec<u8> {
    packet
        .iter()
        .copied()
        .cycle()
        .take(packet.len() * n)
        .collect()
}

fn parse_all(mut input: &[u8], level: u8) -> usize {
    let mut n = 0;
    while let Ok((rest, p)) = parse_packet(input, level, DEFAULT_MAX_PACKET) {
        black_box(p);
        input = rest;
        n += 1;
    }
    n
}

fn publish(topic: &[u8], qos: u8, props: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut body = (topic.len() as u16).to_be_bytes().to_vec();
    body.extend_from_slice(topic);
    if qos > 0 {
        body.extend_from_slice(&[0, 1]);
    }
    body.extend_from_slice(props);
    body.extend_from_slice(payload);
    let mut p = vec![0x30 | (qos << 1)];
    let mut len = body.len();
    loop {
        let mut b = (len % 128) as u8;
        len /= 128;
        if len > 0 {
            b |= 0x80;
        }
        p.push(b);
        if len == 0 {
            break;
        }
    }
    p.extend_from_slice(&body);
    p
}

fn bench(c: &mut Criterion) {
    let telemetry = publish(
        b"site/line3/plc7/temperature",
        1,
        &[],
        br#"{"v":21.5,"ts":1700000000}"#,
    );
    let v5 = publish(
        b"site/line3/plc7/status",
        0,
        &[10, 0x03, 0, 4, b'j', b's', b'o', b'n', 0x01, 0x01],
        &[0u8; 200],
    );
    let puback = [0x40, 0x02, 0x00, 0x01];

    let mut g = c.benchmark_group("mqtt");
    for (name, pkt, level) in [
        ("publish_qos1_telemetry", &telemetry[..], 4),
        ("publish_v5_properties", &v5[..], 5),
        ("puback", &puback[..], 4),
    ] {
        let s = stream(pkt, 1000);
        g.throughput(Throughput::Bytes(s.len() as u64));
        g.bench_function(name, |b| b.iter(|| parse_all(black_box(&s), level)));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
