//! IEC 60870-5-104 parser: APCI (IEC 60870-5-104 §5) and the ASDU of IEC 60870-5-101 §7 with
//! the 104 field sizes (2-octet cause of transmission, 2-octet common address, 3-octet
//! information object address).
//!
//! - APCI: start octet `0x68`, APDU length (4..=253, the four control octets and the ASDU),
//!   four control octets: I format (send and receive sequence numbers), S format (receive
//!   sequence number) or U format (STARTDT, STOPDT, TESTFR act/con).
//! - ASDU: type identification ([`TypeId`], every standard id named), variable structure
//!   qualifier (SQ and number of objects), cause of transmission ([`Cot`]: cause, P/N, test),
//!   originator address, common address, then information objects: each a 3-octet address and
//!   an element whose size the type fixes ([`element_size`]); with SQ=1 one address then
//!   consecutive elements. [`decode`] reads the values of the common monitor and command types
//!   with their quality descriptors and time tags (CP24Time2a, CP56Time2a).

use crate::{ParseError, Probe};

/// The start octet of every APDU.
pub const START: u8 = 0x68;
/// Smallest APDU length octet (control field only).
pub const MIN_LENGTH: u8 = 4;
/// Largest APDU length octet (IEC 60870-5-104 §5: APDU at most 255 octets).
pub const MAX_LENGTH: u8 = 253;
/// Octets of the ASDU header (type, VSQ, COT, originator, common address).
pub const ASDU_HEADER_LEN: usize = 6;

/// U-format function (control octet 1 of a U frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UFunction(pub u8);

impl UFunction {
    /// STARTDT act.
    pub const STARTDT_ACT: UFunction = UFunction(0x07);
    /// STARTDT con.
    pub const STARTDT_CON: UFunction = UFunction(0x0b);
    /// STOPDT act.
    pub const STOPDT_ACT: UFunction = UFunction(0x13);
    /// STOPDT con.
    pub const STOPDT_CON: UFunction = UFunction(0x23);
    /// TESTFR act.
    pub const TESTFR_ACT: UFunction = UFunction(0x43);
    /// TESTFR con.
    pub const TESTFR_CON: UFunction = UFunction(0x83);

    /// `startdt_act`, `startdt_con`, `stopdt_act`, `stopdt_con`, `testfr_act`, `testfr_con`,
    /// or `invalid` when not exactly one function bit is set.
    pub fn name(self) -> &'static str {
        match self.0 {
            0x07 => "startdt_act",
            0x0b => "startdt_con",
            0x13 => "stopdt_act",
            0x23 => "stopdt_con",
            0x43 => "testfr_act",
            0x83 => "testfr_con",
            _ => "invalid",
        }
    }
}

/// The APCI control field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Apci {
    /// Information transfer: send and receive sequence numbers (15 bits each).
    I {
        /// N(S).
        send: u16,
        /// N(R).
        recv: u16,
    },
    /// Numbered supervisory function: receive sequence number.
    S {
        /// N(R).
        recv: u16,
    },
    /// Unnumbered control function.
    U(UFunction),
}

impl Apci {
    /// `I`, `S` or `U`.
    pub fn format(&self) -> &'static str {
        match self {
            Apci::I { .. } => "I",
            Apci::S { .. } => "S",
            Apci::U(_) => "U",
        }
    }
}

/// One APDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Apdu<'a> {
    /// The length octet.
    pub length: u8,
    /// The control field.
    pub apci: Apci,
    /// The ASDU (I format; empty otherwise unless the frame is malformed).
    pub asdu: &'a [u8],
}

impl Apdu<'_> {
    /// A rule the APDU breaks while still framed: `u_frame_with_data`, `s_frame_with_data`,
    /// `invalid_u_function`, `i_frame_without_asdu`.
    pub fn anomaly(&self) -> Option<&'static str> {
        match self.apci {
            Apci::U(f) if f.name() == "invalid" => Some("invalid_u_function"),
            Apci::U(_) if !self.asdu.is_empty() => Some("u_frame_with_data"),
            Apci::S { .. } if !self.asdu.is_empty() => Some("s_frame_with_data"),
            Apci::I { .. } if self.asdu.is_empty() => Some("i_frame_without_asdu"),
            _ => None,
        }
    }
}

/// Parse one APDU at the start of `input`.
///
/// # Errors
/// [`ParseError::Incomplete`] until the APDU is whole, [`ParseError::Invalid`] for a wrong
/// start octet (`"start"`) or a length outside 4..=253 (`"length"`).
pub fn parse_apdu(input: &[u8]) -> Result<(&[u8], Apdu<'_>), ParseError> {
    let Some((&start, rest)) = input.split_first() else {
        return Err(ParseError::Incomplete(6));
    };
    if start != START {
        return Err(ParseError::Invalid("start"));
    }
    let Some((&length, rest)) = rest.split_first() else {
        return Err(ParseError::Incomplete(5));
    };
    if !(MIN_LENGTH..=MAX_LENGTH).contains(&length) {
        return Err(ParseError::Invalid("length"));
    }
    let n = usize::from(length);
    if rest.len() < n {
        return Err(ParseError::Incomplete(n - rest.len()));
    }
    let (body, after) = rest.split_at(n);
    let (ctrl, asdu) = body.split_at(4);
    let (c1, c2, c3, c4) = (ctrl[0], ctrl[1], ctrl[2], ctrl[3]);
    let apci = if c1 & 1 == 0 {
        Apci::I {
            send: u16::from_le_bytes([c1, c2]) >> 1,
            recv: u16::from_le_bytes([c3, c4]) >> 1,
        }
    } else if c1 & 3 == 1 {
        Apci::S {
            recv: u16::from_le_bytes([c3, c4]) >> 1,
        }
    } else {
        Apci::U(UFunction(c1))
    };
    Ok((after, Apdu { length, apci, asdu }))
}

/// Whether `data` starts like an IEC-104 APDU: start octet, plausible length, and a control
/// field consistent with it (U frames: a valid function and length 4; S frames: length 4;
/// I frames: a whole, consistent ASDU, so `NeedMore` until the APDU's 255 octets at most are
/// present).
pub fn probe(data: &[u8]) -> Probe {
    let (Some(&start), Some(&length), Some(&c1)) = (data.first(), data.get(1), data.get(2)) else {
        return match data.first() {
            Some(&s) if s != START => Probe::No,
            _ => Probe::NeedMore,
        };
    };
    if start != START || !(MIN_LENGTH..=MAX_LENGTH).contains(&length) {
        return Probe::No;
    }
    let ok = if c1 & 1 == 0 {
        usize::from(length) >= 4 + ASDU_HEADER_LEN
    } else if c1 & 3 == 1 {
        length == 4 && c1 == 1
    } else {
        length == 4 && UFunction(c1).name() != "invalid"
    };
    if !ok {
        return Probe::No;
    }
    match data.get(3..6) {
        // U and S frames: octet 2 is zero; octet 3's low bit is zero for I and S frames.
        Some(&[c2, c3, _]) => {
            let good = if c1 & 1 == 1 {
                c2 == 0 && c3 & 1 == 0
            } else {
                c3 & 1 == 0
            };
            if !good {
                Probe::No
            } else if c1 & 1 == 0 {
                probe_asdu(data, length)
            } else {
                Probe::Yes
            }
        }
        _ => Probe::NeedMore,
    }
}

/// The ASDU of an I frame whose APCI looked right: a known type id, a cause other than 0, at
/// least one object, and objects that fill the ASDU exactly when the type's size is fixed.
fn probe_asdu(data: &[u8], length: u8) -> Probe {
    let Some(asdu) = data.get(6..2 + usize::from(length)) else {
        return Probe::NeedMore;
    };
    let Ok(a) = parse_asdu(asdu) else {
        return Probe::No;
    };
    let h = a.header;
    if !h.type_id.is_known() || h.cot.cause() == 0 || h.count == 0 {
        return Probe::No;
    }
    match objects(&a) {
        Ok((_, true)) => Probe::Yes,
        _ => Probe::No,
    }
}

/// ASDU type identification (IEC 60870-5-101 §7.2.1 and 60870-5-104 §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeId(pub u8);

impl TypeId {
    /// 1: single-point information.
    pub const M_SP_NA_1: TypeId = TypeId(1);
    /// 13: measured value, short floating point.
    pub const M_ME_NC_1: TypeId = TypeId(13);
    /// 45: single command.
    pub const C_SC_NA_1: TypeId = TypeId(45);
    /// 100: interrogation command.
    pub const C_IC_NA_1: TypeId = TypeId(100);
    /// 103: clock synchronisation command.
    pub const C_CS_NA_1: TypeId = TypeId(103);

    /// The standard's mnemonic (`M_SP_NA_1`...), `"unknown"` for unassigned ids.
    pub fn name(self) -> &'static str {
        match self.0 {
            1 => "M_SP_NA_1",
            2 => "M_SP_TA_1",
            3 => "M_DP_NA_1",
            4 => "M_DP_TA_1",
            5 => "M_ST_NA_1",
            6 => "M_ST_TA_1",
            7 => "M_BO_NA_1",
            8 => "M_BO_TA_1",
            9 => "M_ME_NA_1",
            10 => "M_ME_TA_1",
            11 => "M_ME_NB_1",
            12 => "M_ME_TB_1",
            13 => "M_ME_NC_1",
            14 => "M_ME_TC_1",
            15 => "M_IT_NA_1",
            16 => "M_IT_TA_1",
            17 => "M_EP_TA_1",
            18 => "M_EP_TB_1",
            19 => "M_EP_TC_1",
            20 => "M_PS_NA_1",
            21 => "M_ME_ND_1",
            30 => "M_SP_TB_1",
            31 => "M_DP_TB_1",
            32 => "M_ST_TB_1",
            33 => "M_BO_TB_1",
            34 => "M_ME_TD_1",
            35 => "M_ME_TE_1",
            36 => "M_ME_TF_1",
            37 => "M_IT_TB_1",
            38 => "M_EP_TD_1",
            39 => "M_EP_TE_1",
            40 => "M_EP_TF_1",
            45 => "C_SC_NA_1",
            46 => "C_DC_NA_1",
            47 => "C_RC_NA_1",
            48 => "C_SE_NA_1",
            49 => "C_SE_NB_1",
            50 => "C_SE_NC_1",
            51 => "C_BO_NA_1",
            58 => "C_SC_TA_1",
            59 => "C_DC_TA_1",
            60 => "C_RC_TA_1",
            61 => "C_SE_TA_1",
            62 => "C_SE_TB_1",
            63 => "C_SE_TC_1",
            64 => "C_BO_TA_1",
            70 => "M_EI_NA_1",
            100 => "C_IC_NA_1",
            101 => "C_CI_NA_1",
            102 => "C_RD_NA_1",
            103 => "C_CS_NA_1",
            104 => "C_TS_NA_1",
            105 => "C_RP_NA_1",
            106 => "C_CD_NA_1",
            107 => "C_TS_TA_1",
            110 => "P_ME_NA_1",
            111 => "P_ME_NB_1",
            112 => "P_ME_NC_1",
            113 => "P_AC_NA_1",
            120 => "F_FR_NA_1",
            121 => "F_SR_NA_1",
            122 => "F_SC_NA_1",
            123 => "F_LS_NA_1",
            124 => "F_AF_NA_1",
            125 => "F_SG_NA_1",
            126 => "F_DR_TA_1",
            127 => "F_SC_NB_1",
            _ => "unknown",
        }
    }

    /// Whether the id is assigned by the standard.
    pub fn is_known(self) -> bool {
        self.name() != "unknown"
    }

    /// `monitor` (1-44 and 70), `control` (45-69), `system` (100-109), `parameter`
    /// (110-119), `file` (120-127), or `unknown`.
    pub fn direction_class(self) -> &'static str {
        match self.0 {
            1..=44 | 70 => "monitor",
            45..=69 => "control",
            100..=109 => "system",
            110..=119 => "parameter",
            120..=127 => "file",
            _ => "unknown",
        }
    }
}

/// Cause of transmission octet (IEC 60870-5-101 §7.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cot(pub u8);

impl Cot {
    /// The 6-bit cause.
    pub fn cause(self) -> u8 {
        self.0 & 0x3f
    }
    /// P/N: negative confirmation.
    pub fn negative(self) -> bool {
        self.0 & 0x40 != 0
    }
    /// T: test.
    pub fn test(self) -> bool {
        self.0 & 0x80 != 0
    }
    /// The cause's name, `"unknown"` for unassigned causes.
    pub fn name(self) -> &'static str {
        match self.cause() {
            1 => "per_cyc",
            2 => "back",
            3 => "spont",
            4 => "init",
            5 => "req",
            6 => "act",
            7 => "actcon",
            8 => "deact",
            9 => "deactcon",
            10 => "actterm",
            11 => "retrem",
            12 => "retloc",
            13 => "file",
            20 => "inrogen",
            21..=36 => "inro",
            37 => "reqcogen",
            38..=41 => "reqco",
            44 => "unknown_type_id",
            45 => "unknown_cause",
            46 => "unknown_common_address",
            47 => "unknown_ioa",
            _ => "unknown",
        }
    }
}

/// ASDU header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsduHeader {
    /// Type identification.
    pub type_id: TypeId,
    /// SQ: one address, consecutive elements.
    pub sq: bool,
    /// Number of objects or elements.
    pub count: u8,
    /// Cause of transmission.
    pub cot: Cot,
    /// Originator address.
    pub originator: u8,
    /// Common address of the ASDU.
    pub common_address: u16,
}

/// An ASDU: header and object octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asdu<'a> {
    /// The header.
    pub header: AsduHeader,
    /// The information objects.
    pub body: &'a [u8],
}

/// Parse an ASDU header.
///
/// # Errors
/// [`ParseError::Invalid`] (`"asdu_header"`) when fewer than 6 octets are present.
pub fn parse_asdu(data: &[u8]) -> Result<Asdu<'_>, ParseError> {
    let [t, vsq, cot, oa, ca0, ca1, body @ ..] = data else {
        return Err(ParseError::Invalid("asdu_header"));
    };
    Ok(Asdu {
        header: AsduHeader {
            type_id: TypeId(*t),
            sq: vsq & 0x80 != 0,
            count: vsq & 0x7f,
            cot: Cot(*cot),
            originator: *oa,
            common_address: u16::from_le_bytes([*ca0, *ca1]),
        },
        body,
    })
}

/// Octets of one information element of `type_id` (without its address), `None` when the
/// size is not fixed (F_SG_NA_1 segments) or the type is unknown.
pub fn element_size(type_id: TypeId) -> Option<usize> {
    Some(match type_id.0 {
        1 | 3 | 45 | 46 | 47 | 70 | 100 | 101 | 105 | 113 => 1,
        21 | 5 | 104 | 106 => 2,
        9 | 11 | 48 | 49 | 110 | 111 => 3,
        2 | 4 | 51 | 122 | 124 => 4,
        7 | 13 | 15 | 20 | 50 | 112 | 123 => 5,
        6 | 10 | 12 | 17 | 120 => 6,
        18 | 19 | 103 | 121 => 7,
        8 | 14 | 16 | 30 | 31 | 58 | 59 | 60 => 8,
        32 | 107 => 9,
        34 | 35 | 38 | 61 | 62 => 10,
        39 | 40 | 64 => 11,
        33 | 36 | 37 | 63 => 12,
        126 => 13,
        127 => 16,
        102 => 0,
        _ => return None,
    })
}

/// Size of the time tag at the end of an element of `type_id`: 3 (CP24Time2a), 7
/// (CP56Time2a) or 0.
pub fn time_tag_size(type_id: TypeId) -> usize {
    match type_id.0 {
        2 | 4 | 6 | 8 | 10 | 12 | 14 | 16 | 17 | 18 | 19 => 3,
        30..=40 | 58..=64 | 103 | 107 | 126 => 7,
        _ => 0,
    }
}

/// Why the objects of an ASDU could not all be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectsError {
    /// The element size of the type is not known.
    UnknownType,
    /// The body's length disagrees with the number of objects and the element size.
    LengthMismatch,
}

/// One information object: its address and element octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InfoObject<'a> {
    /// Information object address (3 octets).
    pub ioa: u32,
    /// The element.
    pub element: &'a [u8],
}

/// Check the body of `asdu` against its count and type, and return an iterator over its
/// objects (the ones that fit, even when the length disagrees).
///
/// # Errors
/// [`ObjectsError::UnknownType`] when the element size is unknown.
pub fn objects<'a>(asdu: &Asdu<'a>) -> Result<(Objects<'a>, bool), ObjectsError> {
    let size = element_size(asdu.header.type_id).ok_or(ObjectsError::UnknownType)?;
    let n = usize::from(asdu.header.count);
    let want = if asdu.header.sq {
        if n == 0 {
            0
        } else {
            3 + n * size
        }
    } else {
        n * (3 + size)
    };
    Ok((
        Objects {
            rest: asdu.body,
            size,
            sq: asdu.header.sq,
            ioa: 0,
            left: asdu.header.count,
            first: true,
        },
        want == asdu.body.len(),
    ))
}

/// Information objects of one ASDU, in order (see [`objects`]).
#[derive(Debug, Clone)]
pub struct Objects<'a> {
    rest: &'a [u8],
    size: usize,
    sq: bool,
    ioa: u32,
    left: u8,
    first: bool,
}

fn ioa3(b: &[u8]) -> u32 {
    match b {
        [a, b, c] => u32::from_le_bytes([*a, *b, *c, 0]),
        _ => 0,
    }
}

impl<'a> Iterator for Objects<'a> {
    type Item = InfoObject<'a>;
    fn next(&mut self) -> Option<InfoObject<'a>> {
        if self.left == 0 {
            return None;
        }
        if self.first || !self.sq {
            if self.rest.len() < 3 {
                self.left = 0;
                return None;
            }
            let (a, r) = self.rest.split_at(3);
            self.ioa = ioa3(a);
            self.rest = r;
            self.first = false;
        } else {
            self.ioa = (self.ioa + 1) & 0x00ff_ffff;
        }
        if self.rest.len() < self.size {
            self.left = 0;
            return None;
        }
        let (e, r) = self.rest.split_at(self.size);
        self.rest = r;
        self.left -= 1;
        Some(InfoObject {
            ioa: self.ioa,
            element: e,
        })
    }
}

/// CP56Time2a (7 octets) or CP24Time2a (3 octets, year..hour zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Time {
    /// Milliseconds within the minute (0..=59999).
    pub ms: u16,
    /// Minute.
    pub minute: u8,
    /// IV: invalid.
    pub invalid: bool,
    /// Hour (CP56 only).
    pub hour: u8,
    /// SU: summer time (CP56 only).
    pub summer: bool,
    /// Day of month (CP56 only).
    pub day: u8,
    /// Day of week, 1 = Monday, 0 = unused (CP56 only).
    pub weekday: u8,
    /// Month (CP56 only).
    pub month: u8,
    /// Year within the century, 0..=99 (CP56 only).
    pub year: u8,
    /// Whether the time is a full CP56Time2a.
    pub full: bool,
}

impl Time {
    /// Read a CP56Time2a (7 octets) or CP24Time2a (3 octets).
    pub fn parse(octets: &[u8]) -> Option<Time> {
        let [m0, m1, min, rest @ ..] = octets else {
            return None;
        };
        let mut time = Time {
            ms: u16::from_le_bytes([*m0, *m1]),
            minute: min & 0x3f,
            invalid: min & 0x80 != 0,
            hour: 0,
            summer: false,
            day: 0,
            weekday: 0,
            month: 0,
            year: 0,
            full: false,
        };
        match rest {
            [] => Some(time),
            [hour, day, month, year] => {
                time.hour = hour & 0x1f;
                time.summer = hour & 0x80 != 0;
                time.day = day & 0x1f;
                time.weekday = day >> 5;
                time.month = month & 0x0f;
                time.year = year & 0x7f;
                time.full = true;
                Some(time)
            }
            _ => None,
        }
    }

    /// `20YY-MM-DDTHH:MM:SS.mmm` (CP56) or `MM:SS.mmm` (CP24).
    pub fn text(&self) -> String {
        let (s, ms) = (self.ms / 1000, self.ms % 1000);
        if self.full {
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{ms:03}",
                2000 + u16::from(self.year),
                self.month,
                self.day,
                self.hour,
                self.minute,
                s
            )
        } else {
            format!("{:02}:{s:02}.{ms:03}", self.minute)
        }
    }
}

/// A decoded information element value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// Single point (SIQ) or single command (SCO: `select` and qualifier `qu`).
    Single {
        /// SPI / SCS.
        on: bool,
    },
    /// Double point (DIQ, 0..=3) or double command (DCO) / regulating step (RCO).
    Double {
        /// DPI / DCS / RCS.
        state: u8,
    },
    /// Step position (VTI): value -64..=63 and transient flag.
    Step {
        /// Value.
        value: i8,
        /// Transient.
        transient: bool,
    },
    /// 32-bit string (BSI).
    Bits(u32),
    /// Normalised value (NVA): raw and `raw / 32768`.
    Normalized(i16),
    /// Scaled value (SVA).
    Scaled(i16),
    /// Short floating point.
    Float(f32),
    /// Integrated total (BCR): counter, sequence, carry, adjusted, invalid.
    Counter {
        /// Counter reading.
        value: i32,
        /// Sequence number (5 bits).
        seq: u8,
        /// CY, CA, IV flags (bits 5-7).
        flags: u8,
    },
    /// A one-octet qualifier (QOI, QCC, QRP, COI, QPA).
    Qualifier(u8),
    /// Read command: no element.
    Empty,
    /// Clock synchronisation: the time alone.
    Clock,
}

/// A decoded element: value, quality or command qualifier octet, and time tag.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Element {
    /// The value.
    pub value: Value,
    /// Quality descriptor (monitor types) or the command qualifier octet (SCO/DCO/RCO/QOS),
    /// when the type has one.
    pub qualifier: Option<u8>,
    /// Time tag.
    pub time: Option<Time>,
}

fn i16le(b: &[u8]) -> i16 {
    match b {
        [a, b, ..] => i16::from_le_bytes([*a, *b]),
        _ => 0,
    }
}

fn u32le(b: &[u8]) -> u32 {
    match b {
        [a, b, c, d, ..] => u32::from_le_bytes([*a, *b, *c, *d]),
        _ => 0,
    }
}

/// Decode the element of one object of `type_id`, for the common monitor types (single and
/// double points, step positions, bitstrings, measured values, integrated totals), commands
/// (single, double, regulating step, set-points, bitstring, interrogation, counter
/// interrogation, read, clock synchronisation, reset process, test with time) and their
/// time-tagged variants. `None` for other types or a short element.
pub fn decode(type_id: TypeId, e: &[u8]) -> Option<Element> {
    let t = type_id.0;
    let tsize = time_tag_size(type_id);
    let time = if tsize > 0 && t != 103 {
        Time::parse(e.get(e.len().checked_sub(tsize)?..)?)
    } else {
        None
    };
    let b0 = e.first().copied();
    let el = |value, qualifier| {
        Some(Element {
            value,
            qualifier,
            time,
        })
    };
    match t {
        1 | 2 | 30 => el(Value::Single { on: b0? & 1 != 0 }, Some(b0? & 0xf0)),
        3 | 4 | 31 => el(Value::Double { state: b0? & 3 }, Some(b0? & 0xf0)),
        5 | 6 | 32 => {
            let v = b0?;
            let value = i8::from_ne_bytes([(v & 0x7f) << 1]) >> 1;
            el(
                Value::Step {
                    value,
                    transient: v & 0x80 != 0,
                },
                e.get(1).copied(),
            )
        }
        7 | 8 | 33 => el(Value::Bits(u32le(e.get(..4)?)), e.get(4).copied()),
        9 | 10 | 34 | 48 | 61 => el(Value::Normalized(i16le(e.get(..2)?)), e.get(2).copied()),
        21 => el(Value::Normalized(i16le(e.get(..2)?)), None),
        11 | 12 | 35 | 49 | 62 => el(Value::Scaled(i16le(e.get(..2)?)), e.get(2).copied()),
        13 | 14 | 36 | 50 | 63 => el(
            Value::Float(f32::from_bits(u32le(e.get(..4)?))),
            e.get(4).copied(),
        ),
        15 | 16 | 37 => {
            let s = *e.get(4)?;
            el(
                Value::Counter {
                    value: i32::from_le_bytes(u32le(e.get(..4)?).to_le_bytes()),
                    seq: s & 0x1f,
                    flags: s & 0xe0,
                },
                None,
            )
        }
        45 | 58 => el(Value::Single { on: b0? & 1 != 0 }, Some(b0? & 0xfe)),
        46 | 59 | 47 | 60 => el(Value::Double { state: b0? & 3 }, Some(b0? & 0xfc)),
        51 | 64 => el(Value::Bits(u32le(e.get(..4)?)), None),
        70 | 100 | 101 | 105 | 113 => el(Value::Qualifier(b0?), None),
        102 => el(Value::Empty, None),
        103 => Some(Element {
            value: Value::Clock,
            qualifier: None,
            time: Time::parse(e.get(..7)?),
        }),
        107 => el(Value::Scaled(i16le(e.get(..2)?)), None),
        _ => None,
    }
}
