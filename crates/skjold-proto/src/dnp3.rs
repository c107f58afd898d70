//! DNP3 parser (IEEE 1815-2012): data link frames, transport segments and application
//! fragments with their object headers.
//!
//! - Link layer (IEEE 1815 §9.2): start octets `05 64`, length (control, destination, source and
//!   user data: 5..=255), control, destination and source addresses (little-endian), a CRC over
//!   the 8 header octets, then the user data in blocks of 16 octets, each followed by its CRC
//!   (the last block may be shorter). [`parse_frame`] checks every CRC: a bad header CRC makes
//!   the frame unframeable ([`ParseError::Invalid`]), bad data-block CRCs are counted on the
//!   [`Frame`] so the caller can flag and drop its user data.
//! - Transport layer (§8.2): one header octet (FIN, FIR, 6-bit sequence) before each segment;
//!   [`Reassembler`] joins segments into an application fragment, up to [`MAX_FRAGMENT_LEN`].
//! - Application layer (§4.2.2): control (FIR, FIN, CON, UNS, SEQ), function code, internal
//!   indications on responses (function codes 129-131), then object headers: group, variation,
//!   qualifier (prefix code and range code) and range (start/stop, count or none).
//!   [`ObjectIter`] walks the objects of the groups whose sizes are fixed by the standard (or
//!   given by a size prefix) to find the next header; when an object's size is unknown it stops
//!   and says so rather than guessing.
//!
//! CRC: DNP3's CRC-16 (polynomial 0x3D65, reflected, initial value 0, final complement),
//! transmitted low octet first.

use crate::{ParseError, Probe};

/// The two start octets of every link frame.
pub const START: [u8; 2] = [0x05, 0x64];
/// Octets of the link header, CRC included.
pub const HEADER_LEN: usize = 10;
/// Largest link frame: 255-octet length, 250 user octets in 16 blocks, 16 block CRCs.
pub const MAX_FRAME_LEN: usize = 292;
/// Largest application fragment reassembled from transport segments: six times the 2048
/// octets IEEE 1815 recommends as a maximum fragment size, enough for a write of 65535 packed
/// binary outputs (8200 octets).
pub const MAX_FRAGMENT_LEN: usize = 12_288;
/// Most user-data octets in one link frame.
pub const MAX_USER_DATA: usize = 250;

/// DNP3's CRC-16 of `data`.
pub fn crc(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in data {
        crc ^= u16::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xA6BC
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn crc_ok(block: &[u8], stored: &[u8]) -> bool {
    match stored {
        [lo, hi] => crc(block) == u16::from_le_bytes([*lo, *hi]),
        _ => false,
    }
}

/// Link-layer control octet (§9.2.4.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LinkControl(pub u8);

impl LinkControl {
    /// DIR: set on frames from a master.
    pub fn dir(self) -> bool {
        self.0 & 0x80 != 0
    }
    /// PRM: set on primary (initiating) frames.
    pub fn primary(self) -> bool {
        self.0 & 0x40 != 0
    }
    /// FCB: frame count bit (primary frames).
    pub fn fcb(self) -> bool {
        self.0 & 0x20 != 0
    }
    /// FCV: frame count valid (primary) or DFC: data flow control (secondary).
    pub fn fcv(self) -> bool {
        self.0 & 0x10 != 0
    }
    /// The 4-bit link function code.
    pub fn function(self) -> u8 {
        self.0 & 0x0f
    }
    /// The link function's name (primary or secondary table by PRM), `"unknown"` otherwise.
    pub fn function_name(self) -> &'static str {
        if self.primary() {
            match self.function() {
                0 => "reset_link_states",
                1 => "reset_user_process",
                2 => "test_link_states",
                3 => "confirmed_user_data",
                4 => "unconfirmed_user_data",
                9 => "request_link_status",
                _ => "unknown",
            }
        } else {
            match self.function() {
                0 => "ack",
                1 => "nack",
                11 => "link_status",
                14 => "link_service_not_functioning",
                15 => "link_service_not_used",
                _ => "unknown",
            }
        }
    }
    /// Whether the frame carries user data (primary confirmed or unconfirmed user data).
    pub fn carries_user_data(self) -> bool {
        self.primary() && matches!(self.function(), 3 | 4)
    }
}

/// The link header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkHeader {
    /// The length octet (control + addresses + user data).
    pub length: u8,
    /// Control octet.
    pub control: LinkControl,
    /// Destination address.
    pub destination: u16,
    /// Source address.
    pub source: u16,
}

/// One link frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The header.
    pub header: LinkHeader,
    /// The user-data blocks as sent, each followed by its 2-octet CRC.
    pub blocks: &'a [u8],
    /// How many user-data blocks have a wrong CRC.
    pub bad_crcs: u8,
}

impl Frame<'_> {
    /// Copy the user data (CRCs removed) into `out`; returns its length (at most 250).
    pub fn user_data(&self, out: &mut [u8; MAX_USER_DATA]) -> usize {
        let mut n = 0;
        for chunk in self.blocks.chunks(18) {
            let data = chunk
                .get(..chunk.len().saturating_sub(2))
                .unwrap_or_default();
            for &b in data {
                if let Some(slot) = out.get_mut(n) {
                    *slot = b;
                    n += 1;
                }
            }
        }
        n
    }

    /// Number of user-data octets.
    pub fn user_data_len(&self) -> usize {
        usize::from(self.header.length).saturating_sub(5)
    }
}

/// Total frame length for a length octet of `len` (at least 5).
pub fn frame_len(len: u8) -> usize {
    let user = usize::from(len).saturating_sub(5);
    HEADER_LEN + user + 2 * user.div_ceil(16)
}

/// Check the header of a link frame at the start of `input`.
///
/// # Errors
/// [`ParseError::Incomplete`] when fewer than 10 octets are present and they still match,
/// [`ParseError::Invalid`] for wrong start octets (`"start"`), a wrong header CRC
/// (`"header_crc"`) or a length below 5 (`"length"`).
pub fn parse_header(input: &[u8]) -> Result<LinkHeader, ParseError> {
    for (i, want) in START.iter().enumerate() {
        match input.get(i) {
            Some(b) if b != want => return Err(ParseError::Invalid("start")),
            None => return Err(ParseError::Incomplete(HEADER_LEN - input.len())),
            Some(_) => {}
        }
    }
    let (Some(head), Some(stored)) = (input.get(..8), input.get(8..10)) else {
        return Err(ParseError::Incomplete(HEADER_LEN - input.len()));
    };
    if !crc_ok(head, stored) {
        return Err(ParseError::Invalid("header_crc"));
    }
    let &[_, _, length, control, d0, d1, s0, s1] = head else {
        return Err(ParseError::Invalid("header"));
    };
    if length < 5 {
        return Err(ParseError::Invalid("length"));
    }
    Ok(LinkHeader {
        length,
        control: LinkControl(control),
        destination: u16::from_le_bytes([d0, d1]),
        source: u16::from_le_bytes([s0, s1]),
    })
}

/// Parse one link frame at the start of `input`; returns the rest and the frame.
///
/// # Errors
/// As [`parse_header`], and [`ParseError::Incomplete`] until the whole frame is present.
pub fn parse_frame(input: &[u8]) -> Result<(&[u8], Frame<'_>), ParseError> {
    let header = parse_header(input)?;
    let total = frame_len(header.length);
    if input.len() < total {
        return Err(ParseError::Incomplete(total - input.len()));
    }
    let blocks = input.get(HEADER_LEN..total).unwrap_or_default();
    let mut bad = 0u8;
    for chunk in blocks.chunks(18) {
        let split = chunk.len().saturating_sub(2);
        let (data, stored) = chunk.split_at(split);
        if !crc_ok(data, stored) {
            bad = bad.saturating_add(1);
        }
    }
    Ok((
        input.get(total..).unwrap_or_default(),
        Frame {
            header,
            blocks,
            bad_crcs: bad,
        },
    ))
}

/// Whether `data` starts with a DNP3 link header (start octets, length and header CRC).
pub fn probe(data: &[u8]) -> Probe {
    match parse_header(data) {
        Ok(_) => Probe::Yes,
        Err(ParseError::Incomplete(_)) => Probe::NeedMore,
        Err(_) => Probe::No,
    }
}

/// Transport header octet (§8.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TransportHeader(pub u8);

impl TransportHeader {
    /// FIN: last segment of a fragment.
    pub fn fin(self) -> bool {
        self.0 & 0x80 != 0
    }
    /// FIR: first segment of a fragment.
    pub fn fir(self) -> bool {
        self.0 & 0x40 != 0
    }
    /// 6-bit sequence number.
    pub fn seq(self) -> u8 {
        self.0 & 0x3f
    }
}

/// What [`Reassembler::push`] made of a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Push {
    /// A fragment is complete: read it with [`Reassembler::fragment`].
    Complete,
    /// The segment was added; more are expected.
    Pending,
    /// The segment was not added.
    Dropped(DropReason),
    /// The segment belongs to a fragment already dropped (reported once): skipped.
    Skipped,
}

/// Why a segment (or a partial fragment) was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// A segment without FIR while no fragment was started.
    NoFirst,
    /// A segment whose sequence number does not follow the previous one.
    OutOfSequence,
    /// The fragment would exceed [`MAX_FRAGMENT_LEN`].
    TooLong,
    /// An empty segment (no transport header).
    Empty,
}

impl DropReason {
    /// A stable `snake_case` name.
    pub fn name(self) -> &'static str {
        match self {
            DropReason::NoFirst => "transport_segment_without_first",
            DropReason::OutOfSequence => "transport_sequence_error",
            DropReason::TooLong => "fragment_too_long",
            DropReason::Empty => "empty_transport_segment",
        }
    }
}

/// Transport-layer reassembly of one direction: segments in, application fragments out.
/// Its buffer never grows past [`MAX_FRAGMENT_LEN`].
#[derive(Debug, Clone, Default)]
pub struct Reassembler {
    buf: Vec<u8>,
    /// Sequence number of the last segment added, while a fragment is open.
    last_seq: Option<u8>,
    /// Number of segments of the open (or last completed) fragment.
    segments: u32,
    /// After a drop: later segments of the same fragment are skipped without a report.
    discarding: bool,
    complete: bool,
    /// A started fragment was abandoned by a new FIR (read and cleared by the caller).
    pub abandoned: bool,
}

impl Reassembler {
    /// An empty reassembler.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add one transport segment (header octet and data).
    pub fn push(&mut self, segment: &[u8]) -> Push {
        if self.complete {
            self.buf.clear();
            self.complete = false;
            self.segments = 0;
        }
        let Some((&h, data)) = segment.split_first() else {
            return Push::Dropped(DropReason::Empty);
        };
        let h = TransportHeader(h);
        if !h.fir() && self.discarding {
            if h.fin() {
                self.discarding = false;
            }
            return Push::Skipped;
        }
        self.discarding = false;
        if h.fir() {
            if self.last_seq.is_some() {
                self.abandoned = true;
            }
            self.buf.clear();
            self.segments = 0;
        } else {
            match self.last_seq {
                None => {
                    self.discarding = !h.fin();
                    return Push::Dropped(DropReason::NoFirst);
                }
                Some(prev) if (prev + 1) & 0x3f != h.seq() => {
                    self.reset();
                    self.discarding = !h.fin();
                    return Push::Dropped(DropReason::OutOfSequence);
                }
                Some(_) => {}
            }
        }
        if self.buf.len() + data.len() > MAX_FRAGMENT_LEN {
            self.reset();
            self.discarding = !h.fin();
            return Push::Dropped(DropReason::TooLong);
        }
        self.buf.extend_from_slice(data);
        self.segments = self.segments.saturating_add(1);
        if h.fin() {
            self.last_seq = None;
            self.complete = true;
            Push::Complete
        } else {
            self.last_seq = Some(h.seq());
            Push::Pending
        }
    }

    /// The fragment completed by the last [`Push::Complete`] (empty otherwise).
    pub fn fragment(&self) -> &[u8] {
        if self.complete {
            &self.buf
        } else {
            &[]
        }
    }

    /// Segments in the last completed fragment.
    pub fn segments(&self) -> u32 {
        self.segments
    }

    /// Whether a fragment is open (some segments waiting for FIN).
    pub fn is_open(&self) -> bool {
        self.last_seq.is_some()
    }

    /// Drop any partial fragment (the next segment must have FIR).
    pub fn reset(&mut self) {
        self.buf.clear();
        self.last_seq = None;
        self.segments = 0;
        self.complete = false;
    }
}

/// Application control octet (§4.2.2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AppControl(pub u8);

impl AppControl {
    /// FIR: first fragment of a message.
    pub fn fir(self) -> bool {
        self.0 & 0x80 != 0
    }
    /// FIN: last fragment of a message.
    pub fn fin(self) -> bool {
        self.0 & 0x40 != 0
    }
    /// CON: confirmation requested.
    pub fn con(self) -> bool {
        self.0 & 0x20 != 0
    }
    /// UNS: unsolicited.
    pub fn uns(self) -> bool {
        self.0 & 0x10 != 0
    }
    /// 4-bit sequence number.
    pub fn seq(self) -> u8 {
        self.0 & 0x0f
    }
}

/// Application function code (§4.2.2.5, Table 4-1 of IEEE 1815-2012).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FunctionCode(pub u8);

impl FunctionCode {
    /// 0: Confirm.
    pub const CONFIRM: FunctionCode = FunctionCode(0);
    /// 1: Read.
    pub const READ: FunctionCode = FunctionCode(1);
    /// 2: Write.
    pub const WRITE: FunctionCode = FunctionCode(2);
    /// 3: Select.
    pub const SELECT: FunctionCode = FunctionCode(3);
    /// 4: Operate.
    pub const OPERATE: FunctionCode = FunctionCode(4);
    /// 5: Direct operate.
    pub const DIRECT_OPERATE: FunctionCode = FunctionCode(5);
    /// 6: Direct operate, no acknowledgement.
    pub const DIRECT_OPERATE_NR: FunctionCode = FunctionCode(6);
    /// 13: Cold restart.
    pub const COLD_RESTART: FunctionCode = FunctionCode(13);
    /// 14: Warm restart.
    pub const WARM_RESTART: FunctionCode = FunctionCode(14);
    /// 20: Enable unsolicited responses.
    pub const ENABLE_UNSOLICITED: FunctionCode = FunctionCode(20);
    /// 21: Disable unsolicited responses.
    pub const DISABLE_UNSOLICITED: FunctionCode = FunctionCode(21);
    /// 25: Open file.
    pub const OPEN_FILE: FunctionCode = FunctionCode(25);
    /// 27: Delete file.
    pub const DELETE_FILE: FunctionCode = FunctionCode(27);
    /// 32: Authentication request.
    pub const AUTHENTICATE_REQ: FunctionCode = FunctionCode(32);
    /// 129: Response.
    pub const RESPONSE: FunctionCode = FunctionCode(129);
    /// 130: Unsolicited response.
    pub const UNSOLICITED_RESPONSE: FunctionCode = FunctionCode(130);
    /// 131: Authentication response.
    pub const AUTHENTICATE_RESP: FunctionCode = FunctionCode(131);

    /// The standard's name in `snake_case`, `"unknown"` for unassigned codes.
    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "confirm",
            1 => "read",
            2 => "write",
            3 => "select",
            4 => "operate",
            5 => "direct_operate",
            6 => "direct_operate_nr",
            7 => "immediate_freeze",
            8 => "immediate_freeze_nr",
            9 => "freeze_clear",
            10 => "freeze_clear_nr",
            11 => "freeze_at_time",
            12 => "freeze_at_time_nr",
            13 => "cold_restart",
            14 => "warm_restart",
            15 => "initialize_data",
            16 => "initialize_application",
            17 => "start_application",
            18 => "stop_application",
            19 => "save_configuration",
            20 => "enable_unsolicited",
            21 => "disable_unsolicited",
            22 => "assign_class",
            23 => "delay_measure",
            24 => "record_current_time",
            25 => "open_file",
            26 => "close_file",
            27 => "delete_file",
            28 => "get_file_info",
            29 => "authenticate_file",
            30 => "abort_file",
            31 => "activate_config",
            32 => "authenticate_req",
            33 => "authenticate_err",
            129 => "response",
            130 => "unsolicited_response",
            131 => "authenticate_resp",
            _ => "unknown",
        }
    }

    /// Whether the code is assigned by IEEE 1815-2012.
    pub fn is_known(self) -> bool {
        self.name() != "unknown"
    }

    /// Whether this is a response function (129-131): it carries internal indications.
    pub fn is_response(self) -> bool {
        matches!(self.0, 129..=131)
    }

    /// A coarse category for logging and rules: `confirm`, `read`, `write`, `control`,
    /// `freeze`, `restart`, `application`, `unsolicited`, `class`, `time`, `file`, `config`,
    /// `authentication`, `response`, `unsolicited_response` or `unknown`.
    pub fn category(self) -> &'static str {
        match self.0 {
            0 => "confirm",
            1 => "read",
            2 => "write",
            3..=6 => "control",
            7..=12 => "freeze",
            13 | 14 => "restart",
            15..=19 => "application",
            20 | 21 => "unsolicited",
            22 => "class",
            23 | 24 => "time",
            25..=30 => "file",
            31 => "config",
            32 | 33 | 131 => "authentication",
            129 => "response",
            130 => "unsolicited_response",
            _ => "unknown",
        }
    }

    /// Whether the objects of a request with this function are headers only (no data).
    fn headers_only(self) -> bool {
        matches!(self.0, 1 | 7..=10 | 20 | 21 | 22)
    }
}

/// Internal indications (§4.2.2.7.2) as tshark shows them: IIN1 in the high octet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Iin(pub u16);

/// IIN bit names (Suricata's EVE `dnp3.iin.indicators` names), from IIN1.0 to IIN2.7.
const IIN_NAMES: [&str; 16] = [
    "all_stations",
    "class_1_events",
    "class_2_events",
    "class_3_events",
    "need_time",
    "local_control",
    "device_trouble",
    "device_restart",
    "no_func_code_support",
    "object_unknown",
    "parameter_error",
    "event_buffer_overflow",
    "already_executing",
    "config_corrupt",
    "reserved_2",
    "reserved_1",
];

impl Iin {
    /// The names of the bits set, IIN1.0 first.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        let iin1 = self.0 >> 8;
        let iin2 = self.0 & 0xff;
        let bits = iin1 | (iin2 << 8);
        IIN_NAMES
            .iter()
            .enumerate()
            .filter(move |(i, _)| bits & (1 << i) != 0)
            .map(|(_, n)| *n)
    }
}

/// Application header of a fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppHeader {
    /// Control octet.
    pub control: AppControl,
    /// Function code.
    pub function: FunctionCode,
    /// Internal indications (responses only).
    pub iin: Option<Iin>,
}

/// Parse the application header; returns the object octets after it.
///
/// # Errors
/// [`ParseError::Invalid`] (`"application_header"`) when the fragment is shorter than its
/// header (2 octets, 4 for responses).
pub fn parse_app(fragment: &[u8]) -> Result<(AppHeader, &[u8]), ParseError> {
    let [control, function, rest @ ..] = fragment else {
        return Err(ParseError::Invalid("application_header"));
    };
    let function = FunctionCode(*function);
    if function.is_response() {
        let [i1, i2, rest @ ..] = rest else {
            return Err(ParseError::Invalid("application_header"));
        };
        return Ok((
            AppHeader {
                control: AppControl(*control),
                function,
                iin: Some(Iin(u16::from_be_bytes([*i1, *i2]))),
            },
            rest,
        ));
    }
    Ok((
        AppHeader {
            control: AppControl(*control),
            function,
            iin: None,
        },
        rest,
    ))
}

/// An object header (§4.2.2.7.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectHeader {
    /// Object group.
    pub group: u8,
    /// Variation.
    pub variation: u8,
    /// Qualifier octet.
    pub qualifier: u8,
    /// Range start (range codes 0-5).
    pub start: Option<u32>,
    /// Range stop (range codes 0-5).
    pub stop: Option<u32>,
    /// Object count (range codes 7-9 and 0xB).
    pub count: Option<u32>,
}

impl ObjectHeader {
    /// Prefix code (qualifier bits 4-6).
    pub fn prefix_code(&self) -> u8 {
        (self.qualifier >> 4) & 0x07
    }
    /// Range specifier code (qualifier bits 0-3).
    pub fn range_code(&self) -> u8 {
        self.qualifier & 0x0f
    }
    /// Number of objects the range describes (0 for "all", range code 6).
    pub fn quantity(&self) -> u64 {
        match (self.start, self.stop, self.count) {
            (Some(a), Some(b), _) if b >= a => u64::from(b - a) + 1,
            (_, _, Some(c)) => u64::from(c),
            _ => 0,
        }
    }
}

/// How big one object of a group/variation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectSize {
    /// No data (class objects, "any variation" in requests).
    Zero,
    /// Fixed octets per object.
    Octets(u16),
    /// Packed bits per object (binary inputs and outputs, double-bit inputs, IIN).
    Bits(u8),
    /// Device attribute (group 0): data type, length octet, value.
    Attribute,
    /// Not fixed by the standard (or not known to this parser).
    Unknown,
}

/// The size of one object of `group`/`variation` with data.
pub fn object_size(group: u8, variation: u8) -> ObjectSize {
    use ObjectSize::{Attribute, Bits, Octets, Unknown, Zero};
    const COUNTER_EV: [u16; 8] = [5, 3, 5, 3, 11, 9, 11, 9];
    const ANALOG_EV: [u16; 8] = [5, 3, 11, 9, 5, 9, 11, 15];
    let pick = |t: &[u16]| {
        usize::from(variation)
            .checked_sub(1)
            .and_then(|i| t.get(i))
            .filter(|&&n| n > 0)
            .map_or(Unknown, |&n| Octets(n))
    };
    if group == 60 {
        return Zero;
    }
    if variation == 0 {
        // "Any variation" (requests); for octet strings and virtual terminal objects a length
        // of 0, which the standard does not define: unknown either way.
        return Unknown;
    }
    match group {
        0 if variation < 254 => Attribute,
        1 | 10 | 80 if variation == 1 => Bits(1),
        3 if variation == 1 => Bits(2),
        12 if variation == 3 => Bits(1),
        1 | 3 | 10 => pick(&[0, 1]),
        2 | 4 => pick(&[1, 7, 3]),
        11 | 13 => pick(&[1, 7]),
        12 => pick(&[11, 11]),
        20 => pick(&[5, 3, 5, 3, 4, 2, 4, 2]),
        21 => pick(&[5, 3, 5, 3, 11, 9, 11, 9, 4, 2, 4, 2]),
        22 | 23 => pick(&COUNTER_EV),
        30 => pick(&[5, 3, 4, 2, 5, 9]),
        31 => pick(&[5, 3, 11, 9, 4, 2, 5, 9]),
        32 | 33 | 42 | 43 => pick(&ANALOG_EV),
        34 => pick(&[2, 4, 4]),
        40 | 41 => pick(&[5, 3, 5, 9]),
        50 => pick(&[6, 10, 6, 11]),
        51 => pick(&[6, 6]),
        52 => pick(&[2, 2]),
        101 => pick(&[2, 4, 8]),
        102 => pick(&[1]),
        // Octet strings and virtual terminal objects: the variation is the length.
        110..=113 => Octets(u16::from(variation)),
        // Secure authentication: aggressive mode request (challenge sequence number and
        // user number), session key status request (user number).
        120 => pick(&[0, 0, 6, 2]),
        121 => pick(&[7]),
        122 => pick(&[7, 13]),
        _ => Unknown,
    }
}

/// Why [`ObjectIter`] stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectError {
    /// The fragment ends inside an object header.
    TruncatedHeader,
    /// A reserved range code (10, 12-15).
    ReservedRange,
    /// A reserved prefix code (7).
    ReservedPrefix,
    /// A start/stop range whose stop is below its start.
    InvertedRange,
    /// The fragment ends inside the objects of the last header.
    TruncatedData,
    /// The size of the objects of the last header is unknown: walking stopped there.
    UnknownSize,
}

impl ObjectError {
    /// A stable `snake_case` name.
    pub fn name(self) -> &'static str {
        match self {
            ObjectError::TruncatedHeader => "truncated_object_header",
            ObjectError::ReservedRange => "reserved_range_code",
            ObjectError::ReservedPrefix => "reserved_prefix_code",
            ObjectError::InvertedRange => "inverted_range",
            ObjectError::TruncatedData => "truncated_object_data",
            ObjectError::UnknownSize => "unknown_object_size",
        }
    }
}

/// One object header and the octets of its objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Object<'a> {
    /// The header.
    pub header: ObjectHeader,
    /// Prefixes and objects following the header.
    pub data: &'a [u8],
}

/// Walks the object headers of a fragment's object octets. Yields `Ok` per header whose
/// objects could be skipped, then at most one `Err` (after which it ends). Every `Err` but
/// [`ObjectError::TruncatedHeader`] comes with the header it concerns in
/// [`ObjectIter::failed`] (range fields unset for a reserved range or prefix code).
#[derive(Debug, Clone)]
pub struct ObjectIter<'a> {
    rest: &'a [u8],
    function: FunctionCode,
    done: bool,
    /// The header whose objects could not be walked, once an `Err` was returned.
    pub failed: Option<ObjectHeader>,
}

/// Walk the objects of a fragment with function `function` (`objects` as returned by
/// [`parse_app`]).
pub fn objects(function: FunctionCode, objects: &[u8]) -> ObjectIter<'_> {
    ObjectIter {
        rest: objects,
        function,
        done: false,
        failed: None,
    }
}

fn le(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .rev()
        .fold(0u32, |acc, &b| (acc << 8) | u32::from(b))
}

fn take<'a>(r: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if r.len() < n {
        return None;
    }
    let (h, t) = r.split_at(n);
    *r = t;
    Some(h)
}

impl ObjectIter<'_> {
    fn header(&mut self) -> Result<ObjectHeader, ObjectError> {
        let mut cur = self.rest;
        let head = take(&mut cur, 3).ok_or(ObjectError::TruncatedHeader)?;
        let mut hdr = ObjectHeader {
            group: head[0],
            variation: head[1],
            qualifier: head[2],
            start: None,
            stop: None,
            count: None,
        };
        if hdr.prefix_code() == 7 {
            self.failed = Some(hdr);
            return Err(ObjectError::ReservedPrefix);
        }
        match hdr.range_code() {
            code @ 0..=5 => {
                let width = [1usize, 2, 4][usize::from(code % 3)];
                let first = take(&mut cur, width).ok_or(ObjectError::TruncatedHeader)?;
                let last = take(&mut cur, width).ok_or(ObjectError::TruncatedHeader)?;
                hdr.start = Some(le(first));
                hdr.stop = Some(le(last));
            }
            6 => {}
            code @ (7..=9 | 11) => {
                let width = match code {
                    8 => 2,
                    9 => 4,
                    _ => 1,
                };
                let count = take(&mut cur, width).ok_or(ObjectError::TruncatedHeader)?;
                hdr.count = Some(le(count));
            }
            _ => {
                self.failed = Some(hdr);
                return Err(ObjectError::ReservedRange);
            }
        }
        self.rest = cur;
        Ok(hdr)
    }

    /// Octets of the objects of `hdr` at the start of `self.rest`.
    fn data_len(&self, hdr: &ObjectHeader) -> Result<usize, ObjectError> {
        if let (Some(a), Some(b)) = (hdr.start, hdr.stop) {
            if b < a {
                return Err(ObjectError::InvertedRange);
            }
        }
        // Objects with a size prefix are present whatever the function (file transport objects
        // in a read); otherwise the functions that carry headers only have no data.
        let no_data = hdr.range_code() == 6
            || (self.function.headers_only()
                && !matches!(hdr.prefix_code(), 4..=6)
                && !(hdr.group == 50 && matches!(self.function.0, 11 | 12)));
        if no_data {
            return Ok(0);
        }
        let n = hdr.quantity();
        let avail = self.rest.len();
        let prefix = match hdr.prefix_code() {
            1 | 4 => 1usize,
            2 | 5 => 2,
            3 | 6 => 4,
            _ => 0,
        };
        let sized = matches!(hdr.prefix_code(), 4..=6);
        let size = object_size(hdr.group, hdr.variation);
        if sized || size == ObjectSize::Attribute {
            // Walk object by object: each says its own size.
            let mut r = self.rest;
            let mut i = 0u64;
            while i < n {
                let p = take(&mut r, prefix).ok_or(ObjectError::TruncatedData)?;
                let len = if sized {
                    usize::try_from(le(p)).unwrap_or(usize::MAX)
                } else {
                    let attr = take(&mut r, 2).ok_or(ObjectError::TruncatedData)?;
                    usize::from(attr[1])
                };
                take(&mut r, len).ok_or(ObjectError::TruncatedData)?;
                i += 1;
            }
            return Ok(avail - r.len());
        }
        let total: u64 = match size {
            ObjectSize::Zero => 0,
            ObjectSize::Bits(b) if prefix == 0 => (n * u64::from(b)).div_ceil(8),
            ObjectSize::Octets(s) => n * (prefix as u64 + u64::from(s)),
            ObjectSize::Bits(_) | ObjectSize::Attribute | ObjectSize::Unknown => {
                return Err(ObjectError::UnknownSize)
            }
        };
        match usize::try_from(total) {
            Ok(t) if t <= avail => Ok(t),
            _ => Err(ObjectError::TruncatedData),
        }
    }
}

impl<'a> Iterator for ObjectIter<'a> {
    type Item = Result<Object<'a>, ObjectError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.rest.is_empty() {
            return None;
        }
        let hdr = match self.header() {
            Ok(h) => h,
            Err(e) => {
                self.done = true;
                return Some(Err(e));
            }
        };
        match self.data_len(&hdr) {
            Ok(n) => {
                let (data, rest) = self.rest.split_at(n.min(self.rest.len()));
                self.rest = rest;
                Some(Ok(Object { header: hdr, data }))
            }
            Err(e) => {
                self.done = true;
                self.failed = Some(hdr);
                Some(Err(e))
            }
        }
    }
}

/// Build a link frame around `user_data` (at most 250 octets): header, header CRC, and data
/// blocks with their CRCs. For tests and tools; writes into `out` and returns the length.
pub fn build_frame(
    control: u8,
    destination: u16,
    source: u16,
    user_data: &[u8],
    out: &mut [u8; MAX_FRAME_LEN],
) -> usize {
    let user = user_data
        .get(..MAX_USER_DATA.min(user_data.len()))
        .unwrap_or_default();
    let len = u8::try_from(user.len() + 5).unwrap_or(255);
    let d = destination.to_le_bytes();
    let s = source.to_le_bytes();
    let head = [0x05, 0x64, len, control, d[0], d[1], s[0], s[1]];
    let mut n = 0;
    let mut put = |b: u8, n: &mut usize| {
        if let Some(slot) = out.get_mut(*n) {
            *slot = b;
            *n += 1;
        }
    };
    for b in head {
        put(b, &mut n);
    }
    for b in crc(&head).to_le_bytes() {
        put(b, &mut n);
    }
    for block in user.chunks(16) {
        for &b in block {
            put(b, &mut n);
        }
        for b in crc(block).to_le_bytes() {
            put(b, &mut n);
        }
    }
    n
}
