//! Siemens S7comm and S7comm-plus over ISO-on-TCP: TPKT (RFC 1006), COTP (ISO 8073 / X.224
//! class 0 TPDUs: CR, CC, DR, DC, DT, ED, AK, ER) and the S7 PDUs they carry.
//!
//! S7comm (protocol id `0x32`) is not publicly specified by Siemens; the layout follows the
//! public descriptions of the protocol (the Wireshark S7comm dissector's documentation, Snap7's
//! protocol notes and the "S7 System and Standard Functions" manual for SZL records): a 10-byte
//! header (12 for ACK and ACK-data, with error class and code), a parameter part whose first byte
//! is the function (job/ack-data) or a userdata head (userdata), and a data part.
//! S7comm-plus (protocol id `0x72`) is only framed: version, length, opcode, function and
//! sequence number.
//!
//! Everything here is zero-copy and bounded: item counts are capped at [`MAX_ITEMS`], no buffer
//! is sized from a wire length.

use crate::ParseError;

/// TPKT version (RFC 1006 §6).
pub const TPKT_VERSION: u8 = 3;
/// Smallest TPKT length carrying a COTP header (4 + LI + at least 2).
pub const TPKT_MIN_LEN: usize = 7;
/// S7comm protocol id.
pub const S7_PROTOCOL_ID: u8 = 0x32;
/// S7comm-plus protocol id.
pub const S7PLUS_PROTOCOL_ID: u8 = 0x72;
/// Items read from one read/write request or response (the protocol allows at most 20 per PDU
/// in practice; more is reported as a limit hit).
pub const MAX_ITEMS: usize = 64;

fn be16(s: &[u8], off: usize) -> Option<u16> {
    let b = s.get(off..off + 2)?;
    Some(u16::from_be_bytes([b[0], b[1]]))
}

fn be32(s: &[u8], off: usize) -> Option<u32> {
    let b = s.get(off..off + 4)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// Split one TPKT from the front of `input`: returns the bytes after it and its payload (the
/// COTP TPDU). `Incomplete` while the header or payload is short; `Invalid` when the version is
/// not 3 or the length is below [`TPKT_MIN_LEN`].
pub fn parse_tpkt(input: &[u8]) -> Result<(&[u8], &[u8]), ParseError> {
    if input.len() < 4 {
        return Err(ParseError::Incomplete(4 - input.len()));
    }
    if input[0] != TPKT_VERSION {
        return Err(ParseError::Invalid("tpkt version"));
    }
    let len = usize::from(u16::from_be_bytes([input[2], input[3]]));
    if len < TPKT_MIN_LEN {
        return Err(ParseError::Invalid("tpkt length"));
    }
    if input.len() < len {
        return Err(ParseError::Incomplete(len - input.len()));
    }
    let (pkt, rest) = input.split_at(len);
    Ok((rest, pkt.get(4..).unwrap_or_default()))
}

/// A COTP TPDU code (high nibble of the second byte; for CR/CC/DR/DC/DT the whole code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CotpType(pub u8);

impl CotpType {
    /// Connection request.
    pub const CR: CotpType = CotpType(0xe0);
    /// Connection confirm.
    pub const CC: CotpType = CotpType(0xd0);
    /// Disconnect request.
    pub const DR: CotpType = CotpType(0x80);
    /// Disconnect confirm.
    pub const DC: CotpType = CotpType(0xc0);
    /// Data.
    pub const DT: CotpType = CotpType(0xf0);
    /// Expedited data.
    pub const ED: CotpType = CotpType(0x10);
    /// Data acknowledgement.
    pub const AK: CotpType = CotpType(0x60);
    /// Expedited data acknowledgement.
    pub const EA: CotpType = CotpType(0x20);
    /// Reject.
    pub const RJ: CotpType = CotpType(0x50);
    /// TPDU error.
    pub const ER: CotpType = CotpType(0x70);

    /// Short name (`CR`, `DT`...), `unknown` otherwise.
    pub fn name(self) -> &'static str {
        match self {
            CotpType::CR => "CR",
            CotpType::CC => "CC",
            CotpType::DR => "DR",
            CotpType::DC => "DC",
            CotpType::DT => "DT",
            CotpType::ED => "ED",
            CotpType::AK => "AK",
            CotpType::EA => "EA",
            CotpType::RJ => "RJ",
            CotpType::ER => "ER",
            _ => "unknown",
        }
    }
}

/// One COTP TPDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cotp<'a> {
    /// TPDU code.
    pub kind: CotpType,
    /// Length indicator (header length without itself).
    pub li: u8,
    /// DT: last data unit (EOT) flag.
    pub eot: bool,
    /// DT: TPDU number.
    pub tpdu_nr: u8,
    /// CR/CC/DR/DC: destination reference.
    pub dst_ref: u16,
    /// CR/CC/DR/DC: source reference.
    pub src_ref: u16,
    /// CR/CC: class and options byte; DR: reason.
    pub class: u8,
    /// CR/CC: variable part (parameters as code, length, value).
    pub params: &'a [u8],
    /// User data after the header.
    pub data: &'a [u8],
}

impl<'a> Cotp<'a> {
    /// A parameter of a CR/CC (`0xc1` calling TSAP, `0xc2` called TSAP, `0xc0` TPDU size).
    pub fn param(&self, code: u8) -> Option<&'a [u8]> {
        let mut p = self.params;
        while p.len() >= 2 {
            let len = usize::from(p[1]);
            let v = p.get(2..2 + len)?;
            if p[0] == code {
                return Some(v);
            }
            p = p.get(2 + len..)?;
        }
        None
    }
}

/// Parse the COTP TPDU in a TPKT payload. `Invalid` when the length indicator overruns the
/// payload or a fixed part is short.
pub fn parse_cotp(tpdu: &[u8]) -> Result<Cotp<'_>, ParseError> {
    let li = *tpdu.first().ok_or(ParseError::Invalid("cotp length"))?;
    let code = *tpdu.get(1).ok_or(ParseError::Invalid("cotp length"))?;
    let hdr = tpdu
        .get(1..=usize::from(li))
        .ok_or(ParseError::Invalid("cotp length"))?;
    if li == 0xff || hdr.is_empty() {
        return Err(ParseError::Invalid("cotp length"));
    }
    let data = tpdu.get(usize::from(li) + 1..).unwrap_or_default();
    let kind = CotpType(code & 0xf0);
    let mut c = Cotp {
        kind,
        li,
        eot: false,
        tpdu_nr: 0,
        dst_ref: 0,
        src_ref: 0,
        class: 0,
        params: &[],
        data,
    };
    match kind {
        CotpType::DT => {
            let b = *hdr.get(1).ok_or(ParseError::Invalid("cotp dt"))?;
            c.eot = b & 0x80 != 0;
            c.tpdu_nr = b & 0x7f;
        }
        CotpType::CR | CotpType::CC | CotpType::DR => {
            c.dst_ref = be16(hdr, 1).ok_or(ParseError::Invalid("cotp fixed part"))?;
            c.src_ref = be16(hdr, 3).ok_or(ParseError::Invalid("cotp fixed part"))?;
            c.class = *hdr.get(5).ok_or(ParseError::Invalid("cotp fixed part"))?;
            c.params = hdr.get(6..).unwrap_or_default();
        }
        CotpType::DC => {
            c.dst_ref = be16(hdr, 1).ok_or(ParseError::Invalid("cotp fixed part"))?;
            c.src_ref = be16(hdr, 3).ok_or(ParseError::Invalid("cotp fixed part"))?;
        }
        _ => {}
    }
    Ok(c)
}

/// Whether a COTP CR carries what Microsoft RDP puts there (an `mstshash` cookie, a routing
/// token or an RDP negotiation request), so a TPKT flow off port 102 is not claimed as S7.
pub fn is_rdp_connection_request(c: &Cotp<'_>) -> bool {
    if c.kind != CotpType::CR {
        return false;
    }
    // RDP counts the cookie and the negotiation request in the length indicator, so they
    // appear as the variable part; some stacks put them after the header.
    [c.params, c.data].iter().any(|v| {
        let neg = v.len() >= 8 && {
            let t = &v[v.len() - 8..];
            t[0] == 0x01 && t[2..4] == [8, 0] && t[5..] == [0, 0, 0]
        };
        v.starts_with(b"Cookie:") || v.starts_with(b"mstshash") || neg
    })
}

/// S7comm ROSCTR (message type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rosctr(pub u8);

impl Rosctr {
    /// Job request.
    pub const JOB: Rosctr = Rosctr(1);
    /// Acknowledgement without data.
    pub const ACK: Rosctr = Rosctr(2);
    /// Acknowledgement with data.
    pub const ACK_DATA: Rosctr = Rosctr(3);
    /// Userdata (programming, cyclic, SZL...).
    pub const USERDATA: Rosctr = Rosctr(7);

    /// Name as Wireshark labels it (`Job`, `Ack`, `Ack_Data`, `Userdata`), `unknown` otherwise.
    pub fn name(self) -> &'static str {
        match self.0 {
            1 => "Job",
            2 => "Ack",
            3 => "Ack_Data",
            7 => "Userdata",
            _ => "unknown",
        }
    }

    /// Whether the header carries error class and code (ACK and ACK-data).
    pub fn has_error(self) -> bool {
        matches!(self.0, 2 | 3)
    }
}

/// S7comm job function (first parameter byte of a job or ack-data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Function(pub u8);

impl Function {
    /// CPU services.
    pub const CPU_SERVICES: Function = Function(0x00);
    /// Setup communication.
    pub const SETUP: Function = Function(0xf0);
    /// Read variable.
    pub const READ_VAR: Function = Function(0x04);
    /// Write variable.
    pub const WRITE_VAR: Function = Function(0x05);
    /// Request download.
    pub const REQUEST_DOWNLOAD: Function = Function(0x1a);
    /// Download block.
    pub const DOWNLOAD_BLOCK: Function = Function(0x1b);
    /// Download ended.
    pub const DOWNLOAD_ENDED: Function = Function(0x1c);
    /// Start upload.
    pub const START_UPLOAD: Function = Function(0x1d);
    /// Upload.
    pub const UPLOAD: Function = Function(0x1e);
    /// End upload.
    pub const END_UPLOAD: Function = Function(0x1f);
    /// PI service (PLC control).
    pub const PI_SERVICE: Function = Function(0x28);
    /// PLC stop.
    pub const PLC_STOP: Function = Function(0x29);

    /// `snake_case` name, `unknown` otherwise.
    pub fn name(self) -> &'static str {
        match self.0 {
            0x00 => "cpu_services",
            0xf0 => "setup_communication",
            0x04 => "read_var",
            0x05 => "write_var",
            0x1a => "request_download",
            0x1b => "download_block",
            0x1c => "download_ended",
            0x1d => "start_upload",
            0x1e => "upload",
            0x1f => "end_upload",
            0x28 => "pi_service",
            0x29 => "plc_stop",
            _ => "unknown",
        }
    }

    /// Whether this is one of the block transfer functions (0x1a-0x1f).
    pub fn is_block_transfer(self) -> bool {
        (0x1a..=0x1f).contains(&self.0)
    }
}

/// Memory area of an item address (`S7ANY` syntax).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Area(pub u8);

impl Area {
    /// `snake_case` name, `unknown` otherwise.
    pub fn name(self) -> &'static str {
        match self.0 {
            0x03 => "system_info_200",
            0x05 => "system_flags_200",
            0x06 => "analog_inputs_200",
            0x07 => "analog_outputs_200",
            0x1c => "counter_s7",
            0x1d => "timer_s7",
            0x1e => "counter_iec_200",
            0x1f => "timer_iec_200",
            0x80 => "direct_peripheral",
            0x81 => "inputs",
            0x82 => "outputs",
            0x83 => "flags",
            0x84 => "data_blocks",
            0x85 => "instance_data_blocks",
            0x86 => "local_data",
            0x87 => "previous_local_data",
            _ => "unknown",
        }
    }
}

/// Transport size of an item address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TransportSize(pub u8);

impl TransportSize {
    /// Name as in the S7ANY pointer (`BIT`, `BYTE`, `WORD`...), `unknown` otherwise.
    pub fn name(self) -> &'static str {
        match self.0 {
            0x01 => "BIT",
            0x02 => "BYTE",
            0x03 => "CHAR",
            0x04 => "WORD",
            0x05 => "INT",
            0x06 => "DWORD",
            0x07 => "DINT",
            0x08 => "REAL",
            0x09 => "DATE",
            0x0a => "TOD",
            0x0b => "TIME",
            0x0c => "S5TIME",
            0x0f => "DATE_AND_TIME",
            0x1c => "COUNTER",
            0x1d => "TIMER",
            0x1e => "IEC_TIMER",
            0x1f => "IEC_COUNTER",
            0x20 => "HS_COUNTER",
            _ => "unknown",
        }
    }
}

/// Return code of a data item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReturnCode(pub u8);

impl ReturnCode {
    /// `snake_case` name, `unknown` otherwise.
    pub fn name(self) -> &'static str {
        match self.0 {
            0x00 => "reserved",
            0x01 => "hardware_fault",
            0x03 => "accessing_object_not_allowed",
            0x05 => "address_out_of_range",
            0x06 => "data_type_not_supported",
            0x07 => "data_type_inconsistent",
            0x0a => "object_does_not_exist",
            0xff => "success",
            _ => "unknown",
        }
    }
}

/// Address of one variable (`S7ANY` syntax, id `0x10`; other syntaxes keep only the id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Item {
    /// Syntax id (`0x10` S7ANY, `0xb0` DB read, `0x82` NCK...).
    pub syntax_id: u8,
    /// Transport size (element type).
    pub transport_size: u8,
    /// Number of elements.
    pub length: u16,
    /// DB number (0 outside data blocks).
    pub db: u16,
    /// Memory area.
    pub area: u8,
    /// Bit address (byte address × 8 + bit).
    pub address: u32,
}

impl Item {
    /// Byte part of the address.
    pub fn byte(&self) -> u32 {
        self.address >> 3
    }
    /// Bit part of the address.
    pub fn bit(&self) -> u32 {
        self.address & 7
    }
}

/// One data item of a read response or write request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataItem<'a> {
    /// Return code (`0xff` success; `0x00` in write requests).
    pub return_code: u8,
    /// Data transport size (`0x03` bit, `0x04` byte/word/dword, `0x05` integer, `0x07` real,
    /// `0x09` octet string).
    pub transport_size: u8,
    /// The value bytes.
    pub data: &'a [u8],
}

/// Userdata parameter head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UserdataParam {
    /// Method (`0x11` request, `0x12` response).
    pub method: u8,
    /// Type (high nibble): 0 push, 4 request, 8 response.
    pub kind: u8,
    /// Function group (low nibble).
    pub group: u8,
    /// Subfunction.
    pub subfunction: u8,
    /// Sequence number.
    pub sequence: u8,
    /// Data unit reference (8-byte parameters only).
    pub data_unit_ref: u8,
    /// Last data unit: `0` yes, `1` no (8-byte parameters only).
    pub last_data_unit: u8,
    /// Error code (8-byte parameters only).
    pub error_code: u16,
}

/// Name of the CPU mode a mode-transition push (group 0) reports in its subfunction byte.
pub fn mode_name(mode: u8) -> &'static str {
    match mode {
        0 => "STOP",
        1 => "Warm Restart",
        2 => "RUN",
        3 => "Hot Restart",
        4 => "HOLD",
        6 => "Cold Restart",
        9 => "RUN_R (H-System redundant)",
        11 => "LINK-UP",
        12 => "UPDATE",
        _ => "unknown",
    }
}

/// Name of a userdata function group.
pub fn group_name(group: u8) -> &'static str {
    match group {
        0 => "mode_transition",
        1 => "programmer_commands",
        2 => "cyclic_data",
        3 => "block_functions",
        4 => "cpu_functions",
        5 => "security",
        6 => "pbc_bsend_brecv",
        7 => "time_functions",
        0xf => "ncprg",
        _ => "unknown",
    }
}

/// Name of a userdata subfunction within its group.
pub fn subfunction_name(group: u8, sub: u8) -> &'static str {
    match (group, sub) {
        (3, 1) => "list_blocks",
        (3, 2) => "list_blocks_of_type",
        (3, 3) => "get_block_info",
        (4, 1) => "read_szl",
        (4, 2) => "message_service",
        (4, 3) => "diagnostic_message",
        (4, 0x0b) => "alarm_ack",
        (4, 0x0c) => "alarm_query",
        (4, 0x13) => "alarm_s",
        (5, 1) => "plc_password",
        (5, 2) => "clear_password",
        (7, 1) => "read_clock",
        (7, 2) => "set_clock",
        (7, 3) => "read_clock_following",
        (7, 4) => "set_clock_2",
        (1, 1) => "request_diag_data",
        (1, 2) => "variable_table",
        (1, 0x0e) => "read_diag_data",
        (1, 0x10) => "forces",
        (2, 1) => "memory",
        (2, 4) => "unsubscribe",
        _ => "unknown",
    }
}

/// A block named in an upload/download filename or a PI service (`_0A00001P`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block<'a> {
    /// Block type as the two ASCII characters of the filename (`08` OB, `0A` DB, `0B` SDB,
    /// `0C` FC, `0D` SFC, `0E` FB, `0F` SFB).
    pub kind: &'a [u8],
    /// Block number (five ASCII digits in the filename), when they are digits.
    pub number: Option<u32>,
    /// Destination file system (`P` passive, `A` active, `B` both).
    pub filesystem: u8,
}

/// Name of a block type given by its two filename characters.
pub fn block_type_name(kind: &[u8]) -> &'static str {
    match kind {
        b"08" => "OB",
        b"0A" => "DB",
        b"0B" => "SDB",
        b"0C" => "FC",
        b"0D" => "SFC",
        b"0E" => "FB",
        b"0F" => "SFB",
        _ => "unknown",
    }
}

/// Parse a block filename: an optional `_`, two type characters, five digits, one file system
/// character.
pub fn parse_block_name(name: &[u8]) -> Option<Block<'_>> {
    let n = name.strip_prefix(b"_").unwrap_or(name);
    if n.len() < 8 {
        return None;
    }
    let digits = n.get(2..7)?;
    let number = digits.iter().try_fold(0u32, |acc, d| {
        d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
    });
    Some(Block {
        kind: n.get(..2)?,
        number,
        filesystem: *n.get(7)?,
    })
}

/// What the parameter part holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param<'a> {
    /// Setup communication.
    Setup {
        /// Max parallel jobs with ack, calling.
        max_amq_calling: u16,
        /// Max parallel jobs with ack, called.
        max_amq_called: u16,
        /// Negotiated PDU length.
        pdu_length: u16,
    },
    /// Read or write variable: item count and (jobs) the item addresses.
    ReadWrite {
        /// Item count as announced.
        count: u8,
        /// Parsed item addresses (jobs only), at most [`MAX_ITEMS`].
        items: Vec<Item>,
    },
    /// Block transfer (upload/download functions).
    Block {
        /// Function status byte.
        status: u8,
        /// Upload id (upload, end upload, start upload response).
        upload_id: Option<u32>,
        /// Filename (`_0A00001P`), when present.
        filename: Option<&'a [u8]>,
    },
    /// PI service (`0x28`) or PLC stop (`0x29`).
    Pi {
        /// The service name (`P_PROGRAM`, `_INSE`, `_DELE`, `_MODU`...).
        service: &'a [u8],
        /// Block names of the parameter block (`_INSE`/`_DELE`), raw 8-byte names.
        blocks: Vec<&'a [u8]>,
        /// Argument string for other services (`P_PROGRAM`).
        argument: &'a [u8],
    },
    /// Userdata parameter.
    Userdata(UserdataParam),
    /// Any other function: only the function byte was read.
    Other,
}

/// A parsed S7comm PDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S7Pdu<'a> {
    /// Message type.
    pub rosctr: Rosctr,
    /// Redundancy identification.
    pub redundancy_id: u16,
    /// PDU reference.
    pub pdu_ref: u16,
    /// Parameter length.
    pub param_len: u16,
    /// Data length.
    pub data_len: u16,
    /// Error class (ACK/ACK-data).
    pub error_class: Option<u8>,
    /// Error code (ACK/ACK-data).
    pub error_code: Option<u8>,
    /// First parameter byte (job/ack-data).
    pub function: Option<Function>,
    /// Interpreted parameter part.
    pub param: Param<'a>,
    /// Raw parameter part.
    pub param_bytes: &'a [u8],
    /// Raw data part.
    pub data: &'a [u8],
    /// Some items were not read because of [`MAX_ITEMS`].
    pub items_truncated: bool,
}

/// Parse one S7comm PDU (a whole reassembled COTP TSDU starting with `0x32`). `Invalid` when the
/// protocol id is wrong or the header is short; `Malformed` when the lengths overrun the PDU.
pub fn parse_s7(pdu: &[u8]) -> Result<S7Pdu<'_>, ParseError> {
    if pdu.first() != Some(&S7_PROTOCOL_ID) {
        return Err(ParseError::Invalid("s7 protocol id"));
    }
    let rosctr = Rosctr(*pdu.get(1).ok_or(ParseError::Invalid("s7 header"))?);
    let redundancy_id = be16(pdu, 2).ok_or(ParseError::Invalid("s7 header"))?;
    let pdu_ref = be16(pdu, 4).ok_or(ParseError::Invalid("s7 header"))?;
    let param_len = be16(pdu, 6).ok_or(ParseError::Invalid("s7 header"))?;
    let data_len = be16(pdu, 8).ok_or(ParseError::Invalid("s7 header"))?;
    let (hlen, error_class, error_code) = if rosctr.has_error() {
        let c = *pdu.get(10).ok_or(ParseError::Invalid("s7 header"))?;
        let e = *pdu.get(11).ok_or(ParseError::Invalid("s7 header"))?;
        (12, Some(c), Some(e))
    } else {
        (10, None, None)
    };
    let malformed = ParseError::Malformed {
        what: "s7 lengths",
        len: pdu.len(),
    };
    let pend = hlen + usize::from(param_len);
    let param_bytes = pdu.get(hlen..pend).ok_or(malformed)?;
    let data = pdu
        .get(pend..pend + usize::from(data_len))
        .ok_or(malformed)?;
    let mut p = S7Pdu {
        rosctr,
        redundancy_id,
        pdu_ref,
        param_len,
        data_len,
        error_class,
        error_code,
        function: None,
        param: Param::Other,
        param_bytes,
        data,
        items_truncated: false,
    };
    if rosctr == Rosctr::USERDATA {
        p.param = parse_userdata_param(param_bytes).unwrap_or(Param::Other);
    } else if let Some(&f) = param_bytes.first() {
        let f = Function(f);
        p.function = Some(f);
        let (param, trunc) = parse_job_param(rosctr, f, param_bytes);
        p.param = param;
        p.items_truncated = trunc;
    }
    Ok(p)
}

fn parse_userdata_param(pb: &[u8]) -> Option<Param<'_>> {
    // Head (00 01 12), length, method, type|group, subfunction, sequence [, dur, ldu,
    // errcode]. The head is not checked: mode-transition pushes carry 01 00 10.
    let plen = *pb.get(3)?;
    let tg = *pb.get(5)?;
    let mut u = UserdataParam {
        method: *pb.get(4)?,
        kind: tg >> 4,
        group: tg & 0x0f,
        subfunction: *pb.get(6)?,
        sequence: *pb.get(7)?,
        ..UserdataParam::default()
    };
    if plen >= 8 {
        if let (Some(&d), Some(&l), Some(e)) = (pb.get(8), pb.get(9), be16(pb, 10)) {
            u.data_unit_ref = d;
            u.last_data_unit = l;
            u.error_code = e;
        }
    }
    Some(Param::Userdata(u))
}

fn parse_job_param(rosctr: Rosctr, f: Function, pb: &[u8]) -> (Param<'_>, bool) {
    let job = rosctr == Rosctr::JOB;
    match f {
        Function::SETUP => match (be16(pb, 2), be16(pb, 4), be16(pb, 6)) {
            (Some(a), Some(b), Some(l)) => (
                Param::Setup {
                    max_amq_calling: a,
                    max_amq_called: b,
                    pdu_length: l,
                },
                false,
            ),
            _ => (Param::Other, false),
        },
        Function::READ_VAR | Function::WRITE_VAR => {
            let count = pb.get(1).copied().unwrap_or(0);
            let mut items = Vec::new();
            let mut trunc = false;
            if job {
                let mut off = 2;
                for _ in 0..count {
                    if items.len() >= MAX_ITEMS {
                        trunc = true;
                        break;
                    }
                    // varspec 0x12, spec length, syntax id, then the address.
                    let Some(spec_len) = pb.get(off + 1).map(|&l| usize::from(l)) else {
                        break;
                    };
                    let Some(spec) = pb.get(off + 2..off + 2 + spec_len) else {
                        break;
                    };
                    let mut it = Item {
                        syntax_id: spec.first().copied().unwrap_or(0),
                        ..Item::default()
                    };
                    if it.syntax_id == 0x10 && spec.len() >= 10 {
                        it.transport_size = spec[1];
                        it.length = u16::from_be_bytes([spec[2], spec[3]]);
                        it.db = u16::from_be_bytes([spec[4], spec[5]]);
                        it.area = spec[6];
                        it.address = u32::from_be_bytes([0, spec[7], spec[8], spec[9]]);
                    }
                    items.push(it);
                    off += 2 + spec_len;
                }
            }
            (Param::ReadWrite { count, items }, trunc)
        }
        f if f.is_block_transfer() && pb.len() >= 2 => {
            let status = pb.get(1).copied().unwrap_or(0);
            let upload_id = if matches!(f.0, 0x1d..=0x1f) {
                be32(pb, 4)
            } else {
                None
            };
            let filename = pb.get(8).and_then(|&n| {
                let n = usize::from(n);
                if n == 0 {
                    return None;
                }
                pb.get(9..9 + n)
            });
            // Start upload ack-data carries a block length string there, not a name.
            let filename = filename.filter(|n| n.first() == Some(&b'_'));
            (
                Param::Block {
                    status,
                    upload_id,
                    filename,
                },
                false,
            )
        }
        Function::PI_SERVICE if job => {
            let Some(blen) = be16(pb, 8).map(usize::from) else {
                return (Param::Other, false);
            };
            let block = pb.get(10..10 + blen).unwrap_or_default();
            let service = pb
                .get(10 + blen)
                .and_then(|&n| pb.get(11 + blen..11 + blen + usize::from(n)))
                .unwrap_or_default();
            let mut blocks = Vec::new();
            let mut argument: &[u8] = &[];
            if service.starts_with(b"_") {
                // number of blocks, unknown byte, then 8-character names.
                let n = usize::from(block.first().copied().unwrap_or(0));
                let mut rest = block.get(2..).unwrap_or_default();
                while blocks.len() < n.min(MAX_ITEMS) && rest.len() >= 8 {
                    blocks.push(&rest[..8]);
                    rest = &rest[8..];
                }
            } else {
                argument = block;
            }
            (
                Param::Pi {
                    service,
                    blocks,
                    argument,
                },
                false,
            )
        }
        Function::PLC_STOP if job => {
            let service = pb
                .get(6)
                .and_then(|&n| pb.get(7..7 + usize::from(n)))
                .unwrap_or_default();
            (
                Param::Pi {
                    service,
                    blocks: Vec::new(),
                    argument: &[],
                },
                false,
            )
        }
        _ => (Param::Other, false),
    }
}

/// Split the data part of a read-var ack-data or write-var job into items (at most
/// [`MAX_ITEMS`]; the flag says the cap was hit).
pub fn data_items(data: &[u8], count: u8) -> (Vec<DataItem<'_>>, bool) {
    let mut out = Vec::new();
    let mut off = 0;
    for i in 0..count {
        if out.len() >= MAX_ITEMS {
            return (out, true);
        }
        let (Some(&rc), Some(&ts), Some(len)) =
            (data.get(off), data.get(off + 1), be16(data, off + 2))
        else {
            break;
        };
        let bytes = match ts {
            0x03..=0x05 => usize::from(len).div_ceil(8),
            _ => usize::from(len),
        };
        let Some(d) = data.get(off + 4..off + 4 + bytes) else {
            break;
        };
        out.push(DataItem {
            return_code: rc,
            transport_size: ts,
            data: d,
        });
        off += 4 + bytes;
        if bytes % 2 == 1 && i + 1 < count {
            off += 1;
        }
    }
    (out, false)
}

/// Userdata data part: return code, transport size, and the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserdataData<'a> {
    /// Return code (`0xff` success, `0x0a` object does not exist...).
    pub return_code: u8,
    /// Transport size.
    pub transport_size: u8,
    /// Payload (its length field bounded by the data part).
    pub payload: &'a [u8],
}

/// Parse the data part of a userdata PDU.
pub fn parse_userdata_data(data: &[u8]) -> Option<UserdataData<'_>> {
    let len = usize::from(be16(data, 2)?);
    Some(UserdataData {
        return_code: *data.first()?,
        transport_size: *data.get(1)?,
        payload: data.get(4..).map(|p| p.get(..len).unwrap_or(p))?,
    })
}

/// An SZL answer: id, index and the records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Szl<'a> {
    /// SZL id.
    pub id: u16,
    /// SZL index.
    pub index: u16,
    /// Length of one record (responses).
    pub record_len: u16,
    /// Number of records (responses).
    pub record_count: u16,
    /// The record bytes (responses).
    pub records: &'a [u8],
}

impl<'a> Szl<'a> {
    /// The records, each `record_len` bytes (at most [`MAX_ITEMS`] × 4).
    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let n = usize::from(self.record_len).max(1);
        let count = usize::from(self.record_count).min(MAX_ITEMS * 4);
        let recs = self.records;
        recs.chunks_exact(n)
            .take(if self.record_len == 0 { 0 } else { count })
    }
}

/// Parse an SZL request (id, index) or response (id, index, record length and count, records)
/// from a userdata payload.
pub fn parse_szl(payload: &[u8]) -> Option<Szl<'_>> {
    Some(Szl {
        id: be16(payload, 0)?,
        index: be16(payload, 2)?,
        record_len: be16(payload, 4).unwrap_or(0),
        record_count: be16(payload, 6).unwrap_or(0),
        records: payload.get(8..).unwrap_or_default(),
    })
}

/// One SZL `0x0011` record (module identification): index, order number, module type id,
/// `Ausbg` and `Ausbe` versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModuleIdRecord<'a> {
    /// Record index (`0x0001` module, `0x0006` basic hardware, `0x0007` basic firmware...).
    pub index: u16,
    /// Order number (`MlfB`, 20 characters, blank padded).
    pub order_number: &'a [u8],
    /// Module type id (absent from short records).
    pub module_type: Option<u16>,
    /// `Ausbg`: module version or, for firmware, `'V'` and the first version digit.
    pub ausbg: Option<u16>,
    /// `Ausbe`: release of the description file or, for firmware, two more digits.
    pub ausbe: Option<u16>,
}

/// Parse an SZL `0x0011`/`0x0111` record (28 bytes; some servers, such as Snap7's, send
/// shorter records: from 22 bytes on the index and order number are read and the rest is
/// optional).
pub fn parse_module_id(rec: &[u8]) -> Option<ModuleIdRecord<'_>> {
    Some(ModuleIdRecord {
        index: be16(rec, 0)?,
        order_number: rec.get(2..22)?,
        module_type: be16(rec, 22),
        ausbg: be16(rec, 24),
        ausbe: be16(rec, 26),
    })
}

/// Parse an SZL `0x001c`/`0x011c` record (34 bytes): index and the rest of the record (a
/// NUL-padded text for the name, plant id, copyright, serial and type name indexes; binary
/// for indexes 9 and 10).
pub fn parse_component_id(rec: &[u8]) -> Option<(u16, &[u8])> {
    Some((be16(rec, 0)?, rec.get(2..)?))
}

/// Text of an SZL string field: bytes up to the first NUL, trailing blanks removed.
pub fn szl_text(b: &[u8]) -> &[u8] {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    let s = &b[..end];
    let keep = s.len() - s.iter().rev().take_while(|c| **c == b' ').count();
    &s[..keep]
}

/// S7comm-plus opcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Opcode(pub u8);

impl Opcode {
    /// `snake_case` name, `unknown` otherwise.
    pub fn name(self) -> &'static str {
        match self.0 {
            0x31 => "request",
            0x32 => "response",
            0x33 => "notification",
            0x02 => "response2",
            _ => "unknown",
        }
    }
}

/// S7comm-plus function code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PlusFunction(pub u16);

impl PlusFunction {
    /// Name (`CreateObject`, `GetMultiVariables`...), `unknown` otherwise.
    pub fn name(self) -> &'static str {
        match self.0 {
            0x04bb => "Explore",
            0x04ca => "CreateObject",
            0x04d4 => "DeleteObject",
            0x04f2 => "SetVariable",
            0x04fc => "GetVariable",
            0x0506 => "AddLink",
            0x051a => "RemoveLink",
            0x0524 => "GetLink",
            0x0542 => "SetMultiVariables",
            0x054c => "GetMultiVariables",
            0x0556 => "BeginSequence",
            0x0560 => "EndSequence",
            0x056b => "Invoke",
            0x057c => "SetVarSubStreamed",
            0x0586 => "GetVarSubStreamed",
            0x0590 => "GetVariablesAddress",
            0x059a => "Abort",
            0x05a9 => "Error",
            0x05b3 => "InitSsl",
            _ => "unknown",
        }
    }
}

/// An S7comm-plus PDU header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlusPdu {
    /// Protocol version (1, 2, 3; `0xfe` keep-alive / system event).
    pub version: u8,
    /// Data length of the header.
    pub data_len: u16,
    /// Opcode, when a data part follows.
    pub opcode: Option<Opcode>,
    /// Function (requests and responses).
    pub function: Option<PlusFunction>,
    /// Sequence number (requests and responses).
    pub sequence: Option<u16>,
    /// Whether the PDU ends with the `0x72 version 0000` trailer.
    pub has_trailer: bool,
}

/// Parse an S7comm-plus PDU (a whole COTP TSDU starting with `0x72`). Version 3 PDUs carry a
/// 32-byte integrity digest (preceded by its length byte `0x20`) before the opcode.
pub fn parse_s7plus(pdu: &[u8]) -> Result<PlusPdu, ParseError> {
    if pdu.first() != Some(&S7PLUS_PROTOCOL_ID) {
        return Err(ParseError::Invalid("s7comm-plus protocol id"));
    }
    let version = *pdu
        .get(1)
        .ok_or(ParseError::Invalid("s7comm-plus header"))?;
    let data_len = be16(pdu, 2).ok_or(ParseError::Invalid("s7comm-plus header"))?;
    let mut off = 4;
    if version == 3 && pdu.get(4) == Some(&0x20) {
        off += 33;
    }
    let has_trailer = pdu.len() >= 8
        && pdu.get(pdu.len() - 4..pdu.len() - 2) == Some(&[S7PLUS_PROTOCOL_ID, version][..])
        && pdu.len() > 8;
    let mut p = PlusPdu {
        version,
        data_len,
        opcode: None,
        function: None,
        sequence: None,
        has_trailer,
    };
    if version == 0xfe || data_len == 0 {
        return Ok(p);
    }
    let Some(&op) = pdu.get(off) else {
        return Ok(p);
    };
    p.opcode = Some(Opcode(op));
    if matches!(op, 0x31 | 0x32 | 0x02) {
        p.function = be16(pdu, off + 3).map(PlusFunction);
        p.sequence = be16(pdu, off + 7);
    }
    Ok(p)
}
