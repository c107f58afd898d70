//! Parse throughput of typical Modbus/TCP ADUs (Modbus Application Protocol V1.1b3): a stream
//! of read holding register requests and responses, as a polling SCADA master produces.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use skjold_proto::modbus::parse_adu;
use skjold_proto::Direction;

/// `n` ADUs back to back, as one direction of a TCP stream.
fn stream(adu: &[u8], n: usize) -> Vec<u8> {
    adu.iter().copied().cycle().take(adu.len() * n).collect()
}

fn parse_all(mut input: &[u8], dir: Direction) -> usize {
    let mut n = 0;
    while let Ok((rest, adu)) = parse_adu(input, dir) {
        black_box(adu);
        input = rest;
        n += 1;
    }
    n
}

fn bench(c: &mut Criterion) {
    // Read holding registers: address 0, 10 registers.
    let req = [0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 10];
    // Response: 20 bytes of register values.
    let mut resp = vec![0, 1, 0, 0, 0, 23, 1, 3, 20];
    resp.extend(0u8..20);
    // Write multiple registers: 100 registers.
    let mut wr = vec![0, 2, 0, 0, 0, 207, 1, 16, 0, 0, 0, 100, 200];
    wr.extend(std::iter::repeat_n(0xab, 200));

    let mut g = c.benchmark_group("modbus");
    for (name, adu, dir) in [
        ("read_request", &req[..], Direction::Request),
        ("read_response", &resp[..], Direction::Response),
        ("write_multiple_100", &wr[..], Direction::Request),
    ] {
        let s = stream(adu, 1000);
        g.throughput(Throughput::Bytes(s.len() as u64));
        g.bench_function(name, |b| b.iter(|| parse_all(black_box(&s), dir)));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
