//! Modbus/TCP parser: MBAP header and PDU of every public function code.
//!
//! Follows the *Modbus Application Protocol Specification V1.1b3* (function codes, request and
//! response layouts, quantity limits, exception codes, MEI 43/14 Read Device Identification) and
//! the *Modbus Messaging on TCP/IP Implementation Guide V1.0b* §3.1.3 (MBAP header: transaction
//! id, protocol id 0, length counting unit id and PDU, unit id). Requests and responses have
//! different layouts, so [`parse_adu`] takes a [`Direction`].
//!
//! Readable but wrong ADUs are returned with [`Flags`] set (as sawp-modbus `ErrorFlags`): a
//! wrong protocol id, an MBAP length that disagrees with the PDU, a byte count inconsistent with
//! the quantity, a quantity out of range, an unknown function or exception code. An MBAP length
//! outside `2..=254` cannot frame a valid PDU: the ADU is reported as
//! [`ParseError::Malformed`] with its claimed length when that length is still plausible
//! (protocol id 0 and at most [`MAX_TOLERATED_LENGTH`]) so a stream can skip it, and as
//! [`ParseError::Invalid`] otherwise so the caller resynchronises.
//!
//! Names for logging follow sawp-modbus (used by Suricata's EVE `modbus` records):
//! [`FunctionCode::sawp_name`], [`AccessType`]'s `Display`, [`Category::as_str`],
//! [`ExceptionCode::sawp_name`], [`DiagSubFunction::sawp_name`].

use crate::reader::Reader;
use crate::{Direction, ParseError, Probe};
use std::fmt;

/// Bytes of the MBAP header before the length-counted part (transaction, protocol, length).
pub const MBAP_PREFIX_LEN: usize = 6;
/// Smallest valid MBAP length (unit id and function code).
pub const MIN_LENGTH: u16 = 2;
/// Largest valid MBAP length (unit id and a 253-byte PDU).
pub const MAX_LENGTH: u16 = 254;
/// Largest out-of-range MBAP length still framed (and skipped) rather than treated as garbage.
pub const MAX_TOLERATED_LENGTH: u16 = 1024;
/// Most coils or discrete inputs one read may ask for (V1.1b3 §6.1, §6.2).
pub const MAX_READ_BITS: u16 = 2000;
/// Most registers one read may ask for (V1.1b3 §6.3, §6.4).
pub const MAX_READ_REGISTERS: u16 = 125;
/// Most coils one Write Multiple Coils may set (V1.1b3 §6.11).
pub const MAX_WRITE_BITS: u16 = 1968;
/// Most registers one Write Multiple Registers may set (V1.1b3 §6.12).
pub const MAX_WRITE_REGISTERS: u16 = 123;
/// Most registers the write half of Read/Write Multiple Registers may set (V1.1b3 §6.17).
pub const MAX_RW_WRITE_REGISTERS: u16 = 121;
/// Most values a FIFO queue may return (V1.1b3 §6.18).
pub const MAX_FIFO_COUNT: u16 = 31;

/// A Modbus function code as sent on the wire (bit 7 set for an exception response).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FunctionCode(pub u8);

impl FunctionCode {
    /// 1: Read Coils.
    pub const READ_COILS: FunctionCode = FunctionCode(1);
    /// 2: Read Discrete Inputs.
    pub const READ_DISCRETE_INPUTS: FunctionCode = FunctionCode(2);
    /// 3: Read Holding Registers.
    pub const READ_HOLDING_REGISTERS: FunctionCode = FunctionCode(3);
    /// 4: Read Input Registers.
    pub const READ_INPUT_REGISTERS: FunctionCode = FunctionCode(4);
    /// 5: Write Single Coil.
    pub const WRITE_SINGLE_COIL: FunctionCode = FunctionCode(5);
    /// 6: Write Single Register.
    pub const WRITE_SINGLE_REGISTER: FunctionCode = FunctionCode(6);
    /// 7: Read Exception Status (serial line only).
    pub const READ_EXCEPTION_STATUS: FunctionCode = FunctionCode(7);
    /// 8: Diagnostics (with a sub-function).
    pub const DIAGNOSTICS: FunctionCode = FunctionCode(8);
    /// 11: Get Comm Event Counter.
    pub const GET_COMM_EVENT_COUNTER: FunctionCode = FunctionCode(11);
    /// 12: Get Comm Event Log.
    pub const GET_COMM_EVENT_LOG: FunctionCode = FunctionCode(12);
    /// 15: Write Multiple Coils.
    pub const WRITE_MULTIPLE_COILS: FunctionCode = FunctionCode(15);
    /// 16: Write Multiple Registers.
    pub const WRITE_MULTIPLE_REGISTERS: FunctionCode = FunctionCode(16);
    /// 17: Report Server ID.
    pub const REPORT_SERVER_ID: FunctionCode = FunctionCode(17);
    /// 20: Read File Record.
    pub const READ_FILE_RECORD: FunctionCode = FunctionCode(20);
    /// 21: Write File Record.
    pub const WRITE_FILE_RECORD: FunctionCode = FunctionCode(21);
    /// 22: Mask Write Register.
    pub const MASK_WRITE_REGISTER: FunctionCode = FunctionCode(22);
    /// 23: Read/Write Multiple Registers.
    pub const READ_WRITE_MULTIPLE_REGISTERS: FunctionCode = FunctionCode(23);
    /// 24: Read FIFO Queue.
    pub const READ_FIFO_QUEUE: FunctionCode = FunctionCode(24);
    /// 43: Encapsulated Interface Transport (MEI).
    pub const ENCAPSULATED_INTERFACE: FunctionCode = FunctionCode(43);
    /// 90: Schneider Electric UMAS (not public; parsed as opaque data).
    pub const UMAS: FunctionCode = FunctionCode(90);

    /// Whether bit 7 is set (an exception response).
    pub fn is_exception(self) -> bool {
        self.0 & 0x80 != 0
    }

    /// The function without the exception bit.
    #[must_use]
    pub fn base(self) -> FunctionCode {
        FunctionCode(self.0 & 0x7f)
    }

    /// The specification's name of the function (exception bit ignored), `"unknown"` otherwise.
    pub fn name(self) -> &'static str {
        match self.base().0 {
            1 => "read_coils",
            2 => "read_discrete_inputs",
            3 => "read_holding_registers",
            4 => "read_input_registers",
            5 => "write_single_coil",
            6 => "write_single_register",
            7 => "read_exception_status",
            8 => "diagnostics",
            11 => "get_comm_event_counter",
            12 => "get_comm_event_log",
            15 => "write_multiple_coils",
            16 => "write_multiple_registers",
            17 => "report_server_id",
            20 => "read_file_record",
            21 => "write_file_record",
            22 => "mask_write_register",
            23 => "read_write_multiple_registers",
            24 => "read_fifo_queue",
            43 => "encapsulated_interface_transport",
            90 => "umas",
            _ => "unknown",
        }
    }

    /// sawp-modbus `FunctionCode` name (Suricata EVE `function_code`), exception bit ignored.
    pub fn sawp_name(self) -> &'static str {
        match self.base().0 {
            1 => "RdCoils",
            2 => "RdDiscreteInputs",
            3 => "RdHoldRegs",
            4 => "RdInputRegs",
            5 => "WrSingleCoil",
            6 => "WrSingleReg",
            7 => "RdExcStatus",
            8 => "Diagnostic",
            9 => "Program484",
            10 => "Poll484",
            11 => "GetCommEventCtr",
            12 => "GetCommEventLog",
            13 => "ProgramController",
            14 => "PollController",
            15 => "WrMultCoils",
            16 => "WrMultRegs",
            17 => "ReportServerID",
            18 => "Program884",
            19 => "ResetCommLink",
            20 => "RdFileRec",
            21 => "WrFileRec",
            22 => "MaskWrReg",
            23 => "RdWrMultRegs",
            24 => "RdFIFOQueue",
            43 => "MEI",
            _ => "Unknown",
        }
    }

    /// Whether sawp-modbus knows a name for this code (exception bit ignored).
    pub fn is_named(self) -> bool {
        self.sawp_name() != "Unknown"
    }

    /// Category of the raw code by the specification's table (V1.1b3 §5), exception bit
    /// ignored: codes with a name are [`Category::PublicAssigned`].
    pub fn category(self) -> Category {
        if self.is_named() {
            return Category::PublicAssigned;
        }
        Category::of_unnamed(self.base().0)
    }

    /// Which data table and operation the function touches (sawp-modbus `AccessType`).
    pub fn access(self) -> AccessType {
        match self.base().0 {
            1 => AccessType::READ | AccessType::COILS,
            2 => AccessType::READ | AccessType::DISCRETES,
            3 => AccessType::READ | AccessType::HOLDING,
            4 => AccessType::READ | AccessType::INPUT,
            5 => AccessType::COILS | AccessType::WRITE_SINGLE,
            6 => AccessType::HOLDING | AccessType::WRITE_SINGLE,
            15 => AccessType::COILS | AccessType::WRITE_MULTIPLE,
            16 => AccessType::HOLDING | AccessType::WRITE_MULTIPLE,
            22 => AccessType::HOLDING | AccessType::WRITE,
            23 => AccessType::READ | AccessType::HOLDING | AccessType::WRITE_MULTIPLE,
            _ => AccessType::NONE,
        }
    }
}

/// Function code category (V1.1b3 §5; names as sawp-modbus `CodeCategory`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// No category (function 0, exception codes of unnamed functions, sub-code missing).
    None,
    /// Defined by the specification.
    PublicAssigned,
    /// Public range but not assigned yet.
    PublicUnassigned,
    /// User-defined ranges 65-72 and 100-110.
    UserDefined,
    /// Reserved for legacy products (e.g. 9, 10, 13, 14, 41, 42, 90, 91, 125-127).
    Reserved,
}

impl Category {
    fn of_unnamed(code: u8) -> Category {
        match code {
            0 | 128.. => Category::None,
            1..=8 | 15..=40 | 43..=64 | 73..=89 | 92..=99 | 111..=124 => Category::PublicUnassigned,
            9..=14 | 41 | 42 | 90 | 91 | 125..=127 => Category::Reserved,
            65..=72 | 100..=110 => Category::UserDefined,
        }
    }

    /// sawp-modbus / Suricata spelling (`PUBLIC_ASSIGNED`, ..., `NONE`).
    pub fn as_str(self) -> &'static str {
        match self {
            Category::None => "NONE",
            Category::PublicAssigned => "PUBLIC_ASSIGNED",
            Category::PublicUnassigned => "PUBLIC_UNASSIGNED",
            Category::UserDefined => "USER_DEFINED",
            Category::Reserved => "RESERVED",
        }
    }
}

/// Data access of a function as bit flags (sawp-modbus `AccessType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AccessType(pub u8);

impl AccessType {
    /// No data access.
    pub const NONE: AccessType = AccessType(0);
    /// Reads.
    pub const READ: AccessType = AccessType(0b0000_0001);
    /// Writes.
    pub const WRITE: AccessType = AccessType(0b0000_0010);
    /// Discrete inputs table.
    pub const DISCRETES: AccessType = AccessType(0b0000_0100);
    /// Coils table.
    pub const COILS: AccessType = AccessType(0b0000_1000);
    /// Input registers table.
    pub const INPUT: AccessType = AccessType(0b0001_0000);
    /// Holding registers table.
    pub const HOLDING: AccessType = AccessType(0b0010_0000);
    /// One item.
    pub const SINGLE: AccessType = AccessType(0b0100_0000);
    /// Several items.
    pub const MULTIPLE: AccessType = AccessType(0b1000_0000);
    /// Bit tables (discretes and coils).
    pub const BIT_ACCESS_MASK: AccessType = AccessType(0b0000_1100);
    /// All tables.
    pub const FUNC_MASK: AccessType = AccessType(0b0011_1100);
    /// Write of one item.
    pub const WRITE_SINGLE: AccessType = AccessType(0b0100_0010);
    /// Write of several items.
    pub const WRITE_MULTIPLE: AccessType = AccessType(0b1000_0010);

    /// Named flags in sawp's declaration order (its `Display` lists them in this order).
    const NAMED: [(AccessType, &'static str); 12] = [
        (AccessType::READ, "READ"),
        (AccessType::WRITE, "WRITE"),
        (AccessType::DISCRETES, "DISCRETES"),
        (AccessType::COILS, "COILS"),
        (AccessType::INPUT, "INPUT"),
        (AccessType::HOLDING, "HOLDING"),
        (AccessType::SINGLE, "SINGLE"),
        (AccessType::MULTIPLE, "MULTIPLE"),
        (AccessType::BIT_ACCESS_MASK, "BIT_ACCESS_MASK"),
        (AccessType::FUNC_MASK, "FUNC_MASK"),
        (AccessType::WRITE_SINGLE, "WRITE_SINGLE"),
        (AccessType::WRITE_MULTIPLE, "WRITE_MULTIPLE"),
    ];

    /// Whether every bit of `other` is set.
    pub fn contains(self, other: AccessType) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any bit of `other` is set.
    pub fn intersects(self, other: AccessType) -> bool {
        self.0 & other.0 != 0
    }
}

impl std::ops::BitOr for AccessType {
    type Output = AccessType;
    fn bitor(self, rhs: AccessType) -> AccessType {
        AccessType(self.0 | rhs.0)
    }
}

impl fmt::Display for AccessType {
    /// sawp-flags spelling: every named flag contained, `" | "`-separated, or `NONE`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("NONE");
        }
        let mut first = true;
        for (flag, name) in AccessType::NAMED {
            if self.contains(flag) {
                if !first {
                    f.write_str(" | ")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        Ok(())
    }
}

/// Anomalies found in a readable ADU (bit flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(pub u16);

impl Flags {
    /// No anomaly.
    pub const NONE: Flags = Flags(0);
    /// The MBAP length disagrees with the PDU layout (bytes missing or left over).
    pub const LENGTH_MISMATCH: Flags = Flags(1);
    /// The MBAP protocol id is not 0.
    pub const BAD_PROTOCOL_ID: Flags = Flags(1 << 1);
    /// Function 0, or a public code the specification does not assign.
    pub const UNKNOWN_FUNCTION: Flags = Flags(1 << 2);
    /// A byte count disagrees with the quantity (or is out of its range).
    pub const BYTE_COUNT_MISMATCH: Flags = Flags(1 << 3);
    /// A quantity is 0 or above the specification's maximum.
    pub const QUANTITY_OUT_OF_RANGE: Flags = Flags(1 << 4);
    /// An exception response carries a code the specification does not define.
    pub const INVALID_EXCEPTION_CODE: Flags = Flags(1 << 5);
    /// A value the specification restricts is out of range (coil value not 0x0000/0xFF00,
    /// file reference type not 6, object count disagreeing with the objects...).
    pub const INVALID_VALUE: Flags = Flags(1 << 6);

    const NAMED: [(Flags, &'static str); 7] = [
        (Flags::LENGTH_MISMATCH, "length_mismatch"),
        (Flags::BAD_PROTOCOL_ID, "bad_protocol_id"),
        (Flags::UNKNOWN_FUNCTION, "unknown_function"),
        (Flags::BYTE_COUNT_MISMATCH, "byte_count_mismatch"),
        (Flags::QUANTITY_OUT_OF_RANGE, "quantity_out_of_range"),
        (Flags::INVALID_EXCEPTION_CODE, "invalid_exception_code"),
        (Flags::INVALID_VALUE, "invalid_value"),
    ];

    /// Whether no flag is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether every bit of `other` is set.
    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Set the bits of `other`.
    pub fn insert(&mut self, other: Flags) {
        self.0 |= other.0;
    }

    /// Stable snake_case names of the flags set (for anomaly events).
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Flags::NAMED
            .into_iter()
            .filter(move |(f, _)| self.contains(*f))
            .map(|(_, n)| n)
    }

    /// The flags as Suricata's `error_flags` text (sawp-modbus `ErrorFlags`: `DATA_VALUE`,
    /// `DATA_LENGTH`, `EXC_CODE`, `FUNC_CODE`, `PROTO_ID`, `" | "`-separated, or `NONE`).
    pub fn sawp_text(self) -> String {
        let mut parts: Vec<&str> = Vec::new();
        if self.0
            & (Flags::BYTE_COUNT_MISMATCH.0
                | Flags::QUANTITY_OUT_OF_RANGE.0
                | Flags::INVALID_VALUE.0)
            != 0
        {
            parts.push("DATA_VALUE");
        }
        if self.contains(Flags::LENGTH_MISMATCH) {
            parts.push("DATA_LENGTH");
        }
        if self.contains(Flags::INVALID_EXCEPTION_CODE) {
            parts.push("EXC_CODE");
        }
        if self.contains(Flags::UNKNOWN_FUNCTION) {
            parts.push("FUNC_CODE");
        }
        if self.contains(Flags::BAD_PROTOCOL_ID) {
            parts.push("PROTO_ID");
        }
        if parts.is_empty() {
            "NONE".to_owned()
        } else {
            parts.join(" | ")
        }
    }
}

/// Exception code of an exception response (V1.1b3 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExceptionCode(pub u8);

impl ExceptionCode {
    /// 1: Illegal Function.
    pub const ILLEGAL_FUNCTION: ExceptionCode = ExceptionCode(1);
    /// 2: Illegal Data Address.
    pub const ILLEGAL_DATA_ADDRESS: ExceptionCode = ExceptionCode(2);
    /// 3: Illegal Data Value.
    pub const ILLEGAL_DATA_VALUE: ExceptionCode = ExceptionCode(3);
    /// 4: Server Device Failure.
    pub const SERVER_DEVICE_FAILURE: ExceptionCode = ExceptionCode(4);
    /// 5: Acknowledge.
    pub const ACKNOWLEDGE: ExceptionCode = ExceptionCode(5);
    /// 6: Server Device Busy.
    pub const SERVER_DEVICE_BUSY: ExceptionCode = ExceptionCode(6);
    /// 7: Negative Acknowledge (serial line, legacy).
    pub const NEGATIVE_ACKNOWLEDGE: ExceptionCode = ExceptionCode(7);
    /// 8: Memory Parity Error.
    pub const MEMORY_PARITY_ERROR: ExceptionCode = ExceptionCode(8);
    /// 10: Gateway Path Unavailable.
    pub const GATEWAY_PATH_UNAVAILABLE: ExceptionCode = ExceptionCode(10);
    /// 11: Gateway Target Device Failed to Respond.
    pub const GATEWAY_TARGET_FAILED: ExceptionCode = ExceptionCode(11);

    /// Whether the specification defines this code.
    pub fn is_known(self) -> bool {
        matches!(self.0, 1..=8 | 10 | 11)
    }

    /// The specification's name, `"unknown"` otherwise.
    pub fn name(self) -> &'static str {
        match self.0 {
            1 => "illegal_function",
            2 => "illegal_data_address",
            3 => "illegal_data_value",
            4 => "server_device_failure",
            5 => "acknowledge",
            6 => "server_device_busy",
            7 => "negative_acknowledge",
            8 => "memory_parity_error",
            10 => "gateway_path_unavailable",
            11 => "gateway_target_device_failed_to_respond",
            _ => "unknown",
        }
    }

    /// sawp-modbus `ExceptionCode` name (Suricata EVE `exception.code`).
    pub fn sawp_name(self) -> &'static str {
        match self.0 {
            1 => "IllegalFunction",
            2 => "IllegalDataAddr",
            3 => "IllegalDataValue",
            4 => "ServerDeviceFail",
            5 => "Ack",
            6 => "ServerDeviceBusy",
            7 => "NegAck",
            8 => "MemParityErr",
            10 => "GatewayPathUnavailable",
            11 => "GatewayTargetFailToResp",
            _ => "Unknown",
        }
    }
}

/// Diagnostics (function 8) sub-function code (V1.1b3 §6.8.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DiagSubFunction(pub u16);

impl DiagSubFunction {
    /// 0: Return Query Data (echo).
    pub const RETURN_QUERY_DATA: DiagSubFunction = DiagSubFunction(0);
    /// 1: Restart Communications Option.
    pub const RESTART_COMMUNICATIONS: DiagSubFunction = DiagSubFunction(1);
    /// 4: Force Listen Only Mode.
    pub const FORCE_LISTEN_ONLY: DiagSubFunction = DiagSubFunction(4);
    /// 10: Clear Counters and Diagnostic Register.
    pub const CLEAR_COUNTERS: DiagSubFunction = DiagSubFunction(10);

    /// sawp-modbus `DiagnosticSubfunction` name (Suricata EVE `diagnostic.code`).
    pub fn sawp_name(self) -> &'static str {
        match self.0 {
            0 => "RetQueryData",
            1 => "RestartCommOpt",
            2 => "RetDiagReg",
            3 => "ChangeInputDelimiter",
            4 => "ForceListenOnlyMode",
            10 => "ClearCtrDiagReg",
            11 => "RetBusMsgCount",
            12 => "RetBusCommErrCount",
            13 => "RetBusExcErrCount",
            14 => "RetServerMsgCount",
            15 => "RetServerNoRespCount",
            16 => "RetServerNAKCount",
            17 => "RetServerBusyCount",
            18 => "RetBusCharOverrunCount",
            19 => "RetOverrunErrCount",
            20 => "ClearOverrunCounterFlag",
            21 => "GetClearPlusStats",
            _ => "Reserved",
        }
    }

    /// Whether the specification assigns this sub-function.
    pub fn is_assigned(self) -> bool {
        self.sawp_name() != "Reserved"
    }
}

/// MEI type of function 43.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MeiType(pub u8);

impl MeiType {
    /// 13: CANopen General Reference Request and Response.
    pub const CANOPEN: MeiType = MeiType(13);
    /// 14: Read Device Identification.
    pub const READ_DEVICE_ID: MeiType = MeiType(14);

    /// sawp-modbus `MEIType` name (Suricata EVE `mei.code`).
    pub fn sawp_name(self) -> &'static str {
        match self.0 {
            13 => "CANOpenGenRefReqResp",
            14 => "RdDevId",
            _ => "Unknown",
        }
    }
}

/// The MBAP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mbap {
    /// Transaction identifier, echoed by the server.
    pub transaction_id: u16,
    /// Protocol identifier, 0 for Modbus.
    pub protocol_id: u16,
    /// Number of following bytes (unit id and PDU).
    pub length: u16,
    /// Unit identifier (serial-line server behind a gateway).
    pub unit_id: u8,
}

/// One Modbus/TCP ADU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Adu<'a> {
    /// The MBAP header.
    pub header: Mbap,
    /// The function code byte as sent (bit 7 set for exceptions).
    pub function: FunctionCode,
    /// Function-specific content.
    pub data: Data<'a>,
    /// Anomalies found.
    pub flags: Flags,
    /// The PDU bytes after the function code, within the MBAP length.
    pub raw: &'a [u8],
}

impl Adu<'_> {
    /// The sawp-modbus / Suricata category of this ADU: like [`FunctionCode::category`] but
    /// Diagnostics and MEI take the category of their sub-code, and an exception response of an
    /// unnamed function has none.
    pub fn category(&self) -> Category {
        match self.data {
            Data::Diagnostic { sub_function, .. } => {
                if sub_function.is_assigned() {
                    Category::PublicAssigned
                } else {
                    Category::Reserved
                }
            }
            Data::DeviceIdRequest { .. } | Data::DeviceIdResponse(_) => Category::PublicAssigned,
            Data::Mei { mei_type, .. } => {
                if mei_type.sawp_name() == "Unknown" {
                    Category::Reserved
                } else {
                    Category::PublicAssigned
                }
            }
            _ if self.function.base() == FunctionCode::DIAGNOSTICS
                || self.function.base() == FunctionCode::ENCAPSULATED_INTERFACE =>
            {
                Category::None
            }
            _ if self.function.is_exception() && !self.function.is_named() => Category::None,
            _ => self.function.category(),
        }
    }
}

/// Function-specific content of an ADU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Data<'a> {
    /// Request of functions 1-4: first address and number of items.
    ReadRequest {
        /// First address (0-based).
        address: u16,
        /// Number of coils, inputs or registers.
        quantity: u16,
    },
    /// Response of functions 1-4 and 23: the byte count and the packed values.
    ReadResponse {
        /// Byte count field.
        byte_count: u8,
        /// Coil/input bits (LSB first) or big-endian registers.
        values: &'a [u8],
    },
    /// Request and response of functions 5 and 6.
    WriteSingle {
        /// Address written.
        address: u16,
        /// Value (0xFF00 / 0x0000 for a coil).
        value: u16,
    },
    /// Request of functions 15 and 16.
    WriteMultipleRequest {
        /// First address.
        address: u16,
        /// Number of coils or registers.
        quantity: u16,
        /// Byte count field.
        byte_count: u8,
        /// Packed values.
        values: &'a [u8],
    },
    /// Response of functions 15 and 16.
    WriteMultipleResponse {
        /// First address.
        address: u16,
        /// Number written.
        quantity: u16,
    },
    /// Request and response of function 22.
    MaskWrite {
        /// Register address.
        address: u16,
        /// AND mask.
        and_mask: u16,
        /// OR mask.
        or_mask: u16,
    },
    /// Request of function 23.
    ReadWriteRequest {
        /// First address read.
        read_address: u16,
        /// Number of registers read.
        read_quantity: u16,
        /// First address written.
        write_address: u16,
        /// Number of registers written.
        write_quantity: u16,
        /// Byte count field.
        byte_count: u8,
        /// Registers written.
        values: &'a [u8],
    },
    /// Function 8, both directions.
    Diagnostic {
        /// Sub-function.
        sub_function: DiagSubFunction,
        /// Data after the sub-function.
        data: &'a [u8],
    },
    /// Response of function 7.
    ExceptionStatus {
        /// The eight exception status outputs.
        status: u8,
    },
    /// Response of function 11.
    CommEventCounter {
        /// 0xFFFF while a previous command is in progress.
        status: u16,
        /// Event counter.
        event_count: u16,
    },
    /// Response of function 12.
    CommEventLog {
        /// Byte count field.
        byte_count: u8,
        /// Status word.
        status: u16,
        /// Event counter.
        event_count: u16,
        /// Message counter.
        message_count: u16,
        /// Event bytes (newest first).
        events: &'a [u8],
    },
    /// Response of function 17 (device specific content).
    ReportServerId {
        /// Byte count field.
        byte_count: u8,
        /// Server id, run indicator and additional data.
        data: &'a [u8],
    },
    /// Requests of functions 20 and 21 and response of 21 (an echo of the request).
    FileRecords(FileRecords<'a>),
    /// Response of function 20.
    FileRecordResponse(FileRecordResponses<'a>),
    /// Request of function 24.
    FifoRequest {
        /// FIFO pointer address.
        address: u16,
    },
    /// Response of function 24.
    FifoResponse {
        /// Byte count field (counts the FIFO count and the values).
        byte_count: u16,
        /// Number of registers in the queue.
        fifo_count: u16,
        /// Queued registers.
        values: &'a [u8],
    },
    /// Request of function 43/14.
    DeviceIdRequest {
        /// Read Device ID code (1 basic, 2 regular, 3 extended stream, 4 one object).
        read_code: u8,
        /// First object requested.
        object_id: u8,
    },
    /// Response of function 43/14.
    DeviceIdResponse(DeviceId<'a>),
    /// Function 43 with another MEI type.
    Mei {
        /// MEI type.
        mei_type: MeiType,
        /// Data after the MEI type.
        data: &'a [u8],
    },
    /// Exception response.
    Exception {
        /// Exception code.
        code: ExceptionCode,
    },
    /// Requests of functions 7, 11, 12 and 17, which carry no data.
    Empty,
    /// Any other function, or a PDU too short for its function's layout.
    Other(&'a [u8]),
}

/// Sub-requests of Read/Write File Record requests (and the Write File Record response).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileRecords<'a> {
    /// Byte count field.
    pub byte_count: u8,
    /// Whether the sub-requests carry record data (function 21).
    pub with_data: bool,
    /// The sub-request bytes.
    pub raw: &'a [u8],
}

/// One file record sub-request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileSubRequest<'a> {
    /// Reference type (must be 6).
    pub reference_type: u8,
    /// File number.
    pub file_number: u16,
    /// Starting record number.
    pub record_number: u16,
    /// Number of registers.
    pub record_length: u16,
    /// Register data (function 21 only).
    pub data: &'a [u8],
}

impl<'a> IntoIterator for FileRecords<'a> {
    type Item = FileSubRequest<'a>;
    type IntoIter = FileRecordIter<'a>;
    fn into_iter(self) -> FileRecordIter<'a> {
        FileRecordIter {
            r: Reader::new(self.raw),
            with_data: self.with_data,
        }
    }
}

/// Iterator over [`FileSubRequest`]s; stops at the first truncated sub-request.
#[derive(Debug, Clone)]
pub struct FileRecordIter<'a> {
    r: Reader<'a>,
    with_data: bool,
}

impl<'a> Iterator for FileRecordIter<'a> {
    type Item = FileSubRequest<'a>;
    fn next(&mut self) -> Option<FileSubRequest<'a>> {
        let mut r = self.r;
        let reference_type = r.u8().ok()?;
        let file_number = r.be_u16().ok()?;
        let record_number = r.be_u16().ok()?;
        let record_length = r.be_u16().ok()?;
        let data = if self.with_data {
            r.take(usize::from(record_length) * 2).ok()?
        } else {
            &[]
        };
        self.r = r;
        Some(FileSubRequest {
            reference_type,
            file_number,
            record_number,
            record_length,
            data,
        })
    }
}

/// Sub-responses of a Read File Record response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileRecordResponses<'a> {
    /// Response data length field.
    pub byte_count: u8,
    /// The sub-response bytes.
    pub raw: &'a [u8],
}

/// One Read File Record sub-response: reference type and record data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileSubResponse<'a> {
    /// Reference type (must be 6).
    pub reference_type: u8,
    /// Register data.
    pub data: &'a [u8],
}

impl<'a> IntoIterator for FileRecordResponses<'a> {
    type Item = FileSubResponse<'a>;
    type IntoIter = FileResponseIter<'a>;
    fn into_iter(self) -> FileResponseIter<'a> {
        FileResponseIter {
            r: Reader::new(self.raw),
        }
    }
}

/// Iterator over [`FileSubResponse`]s; stops at the first truncated sub-response.
#[derive(Debug, Clone)]
pub struct FileResponseIter<'a> {
    r: Reader<'a>,
}

impl<'a> Iterator for FileResponseIter<'a> {
    type Item = FileSubResponse<'a>;
    fn next(&mut self) -> Option<FileSubResponse<'a>> {
        let mut r = self.r;
        let len = r.u8().ok()?;
        let reference_type = r.u8().ok()?;
        let data = r.take(usize::from(len.checked_sub(1)?)).ok()?;
        self.r = r;
        Some(FileSubResponse {
            reference_type,
            data,
        })
    }
}

/// A Read Device Identification response (function 43, MEI type 14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceId<'a> {
    /// Read Device ID code echoed from the request.
    pub read_code: u8,
    /// Conformity level (0x01-0x03, 0x81-0x83).
    pub conformity_level: u8,
    /// 0xFF when more objects follow in another transaction, 0x00 otherwise.
    pub more_follows: u8,
    /// Object id to ask for next when `more_follows` is 0xFF.
    pub next_object_id: u8,
    /// Number of objects field.
    pub number_of_objects: u8,
    /// The object list bytes.
    pub raw_objects: &'a [u8],
}

impl<'a> DeviceId<'a> {
    /// The `(object id, value)` pairs present (stops at the first truncated object).
    pub fn objects(&self) -> DeviceObjectIter<'a> {
        DeviceObjectIter {
            r: Reader::new(self.raw_objects),
            left: self.number_of_objects,
        }
    }
}

/// Name of a standard device identification object (V1.1b3 §6.21 table).
pub fn device_object_name(id: u8) -> &'static str {
    match id {
        0 => "VendorName",
        1 => "ProductCode",
        2 => "MajorMinorRevision",
        3 => "VendorUrl",
        4 => "ProductName",
        5 => "ModelName",
        6 => "UserApplicationName",
        7..=0x7f => "Reserved",
        _ => "Private",
    }
}

/// Iterator over device identification objects.
#[derive(Debug, Clone)]
pub struct DeviceObjectIter<'a> {
    r: Reader<'a>,
    left: u8,
}

impl<'a> Iterator for DeviceObjectIter<'a> {
    type Item = (u8, &'a [u8]);
    fn next(&mut self) -> Option<(u8, &'a [u8])> {
        if self.left == 0 {
            return None;
        }
        let mut r = self.r;
        let id = r.u8().ok()?;
        let len = r.u8().ok()?;
        let value = r.take(usize::from(len)).ok()?;
        self.r = r;
        self.left -= 1;
        Some((id, value))
    }
}

/// Parse an MBAP header (7 bytes) without validating it.
pub fn parse_mbap(input: &[u8]) -> Result<(&[u8], Mbap), ParseError> {
    let mut r = Reader::new(input);
    let short = |s: crate::reader::Short| ParseError::Incomplete(s.0);
    let transaction_id = r.be_u16().map_err(short)?;
    let protocol_id = r.be_u16().map_err(short)?;
    let length = r.be_u16().map_err(short)?;
    let unit_id = r.u8().map_err(|s| ParseError::Incomplete(s.0))?;
    Ok((
        r.rest(),
        Mbap {
            transaction_id,
            protocol_id,
            length,
            unit_id,
        },
    ))
}

/// Parse one ADU from the start of `input`.
///
/// Returns the bytes after the ADU. [`ParseError::Incomplete`] when the ADU is not all there;
/// [`ParseError::Malformed`] (with the claimed ADU length to skip) when the MBAP length is
/// outside `2..=254` but the header is otherwise plausible; [`ParseError::Invalid`] when the
/// header cannot be Modbus at all.
pub fn parse_adu(input: &[u8], dir: Direction) -> Result<(&[u8], Adu<'_>), ParseError> {
    if input.len() < MBAP_PREFIX_LEN {
        return Err(ParseError::Incomplete(MBAP_PREFIX_LEN - input.len()));
    }
    let mut r = Reader::new(input);
    let transaction_id = r.be_u16().map_err(|s| ParseError::Incomplete(s.0))?;
    let protocol_id = r.be_u16().map_err(|s| ParseError::Incomplete(s.0))?;
    let length = r.be_u16().map_err(|s| ParseError::Incomplete(s.0))?;
    if !(MIN_LENGTH..=MAX_LENGTH).contains(&length) {
        if protocol_id == 0 && length <= MAX_TOLERATED_LENGTH {
            return Err(ParseError::Malformed {
                what: "mbap length",
                len: MBAP_PREFIX_LEN + usize::from(length),
            });
        }
        return Err(ParseError::Invalid("mbap header"));
    }
    let body = r
        .take(usize::from(length))
        .map_err(|s| ParseError::Incomplete(s.0))?;
    let rest = r.rest();
    let mut b = Reader::new(body);
    // Both reads succeed: length >= 2 was checked above.
    let unit_id = b.u8().unwrap_or(0);
    let function = FunctionCode(b.u8().unwrap_or(0));
    let raw = b.rest();
    let mut flags = Flags::NONE;
    if protocol_id != 0 {
        flags.insert(Flags::BAD_PROTOCOL_ID);
    }
    let data = parse_pdu(function, raw, dir, &mut flags);
    Ok((
        rest,
        Adu {
            header: Mbap {
                transaction_id,
                protocol_id,
                length,
                unit_id,
            },
            function,
            data,
            flags,
            raw,
        },
    ))
}

/// Parse the data of a PDU (the bytes after the function code). Never fails: a PDU too short
/// for its layout becomes [`Data::Other`] with [`Flags::LENGTH_MISMATCH`].
pub fn parse_pdu<'a>(
    function: FunctionCode,
    data: &'a [u8],
    dir: Direction,
    flags: &mut Flags,
) -> Data<'a> {
    let cat = function.category();
    if matches!(cat, Category::None | Category::PublicUnassigned) && !function.is_exception() {
        flags.insert(Flags::UNKNOWN_FUNCTION);
    }
    let mut r = Reader::new(data);
    let parsed = if function.is_exception() {
        if dir == Direction::Response {
            parse_exception(&mut r, flags)
        } else {
            // A request cannot have bit 7 set.
            flags.insert(Flags::UNKNOWN_FUNCTION);
            Some(Data::Other(r.take_rest()))
        }
    } else {
        match dir {
            Direction::Request => parse_request(function, &mut r, flags),
            Direction::Response => parse_response(function, &mut r, flags),
        }
    };
    if let Some(d) = parsed {
        if !r.is_empty() {
            flags.insert(Flags::LENGTH_MISMATCH);
        }
        d
    } else {
        flags.insert(Flags::LENGTH_MISMATCH);
        Data::Other(data)
    }
}

fn parse_exception<'a>(r: &mut Reader<'a>, flags: &mut Flags) -> Option<Data<'a>> {
    let code = ExceptionCode(r.u8().ok()?);
    if !code.is_known() {
        flags.insert(Flags::INVALID_EXCEPTION_CODE);
    }
    Some(Data::Exception { code })
}

fn check_quantity(q: u16, max: u16, flags: &mut Flags) {
    if q == 0 || q > max {
        flags.insert(Flags::QUANTITY_OUT_OF_RANGE);
    }
}

/// Take `count` bytes of values; a short PDU takes what is left and flags the length.
fn take_counted<'a>(r: &mut Reader<'a>, count: usize, flags: &mut Flags) -> &'a [u8] {
    if let Ok(v) = r.take(count) {
        v
    } else {
        flags.insert(Flags::LENGTH_MISMATCH);
        r.take_rest()
    }
}

fn parse_request<'a>(f: FunctionCode, r: &mut Reader<'a>, flags: &mut Flags) -> Option<Data<'a>> {
    Some(match f.0 {
        1..=4 => {
            let address = r.be_u16().ok()?;
            let quantity = r.be_u16().ok()?;
            let max = if f.0 <= 2 {
                MAX_READ_BITS
            } else {
                MAX_READ_REGISTERS
            };
            check_quantity(quantity, max, flags);
            Data::ReadRequest { address, quantity }
        }
        5 | 6 => {
            let address = r.be_u16().ok()?;
            let value = r.be_u16().ok()?;
            if f.0 == 5 && value != 0 && value != 0xff00 {
                flags.insert(Flags::INVALID_VALUE);
            }
            Data::WriteSingle { address, value }
        }
        7 | 11 | 12 | 17 => Data::Empty,
        8 => {
            let sub_function = DiagSubFunction(r.be_u16().ok()?);
            let data = r.take_rest();
            if data.len() != 2 {
                flags.insert(Flags::LENGTH_MISMATCH);
            }
            Data::Diagnostic { sub_function, data }
        }
        15 | 16 => {
            let address = r.be_u16().ok()?;
            let quantity = r.be_u16().ok()?;
            let byte_count = r.u8().ok()?;
            let (max, expected) = if f.0 == 15 {
                (MAX_WRITE_BITS, usize::from(quantity).div_ceil(8))
            } else {
                (MAX_WRITE_REGISTERS, usize::from(quantity) * 2)
            };
            check_quantity(quantity, max, flags);
            if usize::from(byte_count) != expected {
                flags.insert(Flags::BYTE_COUNT_MISMATCH);
            }
            let values = take_counted(r, usize::from(byte_count), flags);
            Data::WriteMultipleRequest {
                address,
                quantity,
                byte_count,
                values,
            }
        }
        20 | 21 => {
            let byte_count = r.u8().ok()?;
            if !(7..=0xf5).contains(&byte_count) {
                flags.insert(Flags::BYTE_COUNT_MISMATCH);
            }
            let raw = take_counted(r, usize::from(byte_count), flags);
            let recs = FileRecords {
                byte_count,
                with_data: f.0 == 21,
                raw,
            };
            check_file_records(recs, flags);
            Data::FileRecords(recs)
        }
        22 => {
            let address = r.be_u16().ok()?;
            let and_mask = r.be_u16().ok()?;
            let or_mask = r.be_u16().ok()?;
            Data::MaskWrite {
                address,
                and_mask,
                or_mask,
            }
        }
        23 => {
            let read_address = r.be_u16().ok()?;
            let read_quantity = r.be_u16().ok()?;
            let write_address = r.be_u16().ok()?;
            let write_quantity = r.be_u16().ok()?;
            let byte_count = r.u8().ok()?;
            check_quantity(read_quantity, MAX_READ_REGISTERS, flags);
            check_quantity(write_quantity, MAX_RW_WRITE_REGISTERS, flags);
            if usize::from(byte_count) != usize::from(write_quantity) * 2 {
                flags.insert(Flags::BYTE_COUNT_MISMATCH);
            }
            let values = take_counted(r, usize::from(byte_count), flags);
            Data::ReadWriteRequest {
                read_address,
                read_quantity,
                write_address,
                write_quantity,
                byte_count,
                values,
            }
        }
        24 => Data::FifoRequest {
            address: r.be_u16().ok()?,
        },
        43 => {
            let mei_type = MeiType(r.u8().ok()?);
            if mei_type == MeiType::READ_DEVICE_ID {
                let read_code = r.u8().ok()?;
                let object_id = r.u8().ok()?;
                if !(1..=4).contains(&read_code) {
                    flags.insert(Flags::INVALID_VALUE);
                }
                Data::DeviceIdRequest {
                    read_code,
                    object_id,
                }
            } else {
                Data::Mei {
                    mei_type,
                    data: r.take_rest(),
                }
            }
        }
        _ => Data::Other(r.take_rest()),
    })
}

fn check_file_records(recs: FileRecords<'_>, flags: &mut Flags) {
    let mut used = 0usize;
    for sub in recs {
        if sub.reference_type != 6 {
            flags.insert(Flags::INVALID_VALUE);
        }
        used += 7 + sub.data.len();
    }
    if used != recs.raw.len() {
        flags.insert(Flags::BYTE_COUNT_MISMATCH);
    }
}

fn parse_response<'a>(f: FunctionCode, r: &mut Reader<'a>, flags: &mut Flags) -> Option<Data<'a>> {
    Some(match f.0 {
        1..=4 | 23 => {
            let byte_count = r.u8().ok()?;
            if byte_count == 0 || byte_count > 250 || (f.0 >= 3 && byte_count % 2 != 0) {
                flags.insert(Flags::BYTE_COUNT_MISMATCH);
            }
            let values = take_counted(r, usize::from(byte_count), flags);
            Data::ReadResponse { byte_count, values }
        }
        5 | 6 => {
            let address = r.be_u16().ok()?;
            let value = r.be_u16().ok()?;
            if f.0 == 5 && value != 0 && value != 0xff00 {
                flags.insert(Flags::INVALID_VALUE);
            }
            Data::WriteSingle { address, value }
        }
        7 => Data::ExceptionStatus {
            status: r.u8().ok()?,
        },
        8 => Data::Diagnostic {
            sub_function: DiagSubFunction(r.be_u16().ok()?),
            data: r.take_rest(),
        },
        11 => Data::CommEventCounter {
            status: r.be_u16().ok()?,
            event_count: r.be_u16().ok()?,
        },
        12 => {
            let byte_count = r.u8().ok()?;
            let status = r.be_u16().ok()?;
            let event_count = r.be_u16().ok()?;
            let message_count = r.be_u16().ok()?;
            let n = usize::from(byte_count).checked_sub(6);
            if n.is_none() || byte_count > 70 {
                flags.insert(Flags::BYTE_COUNT_MISMATCH);
            }
            let events = take_counted(r, n.unwrap_or(0), flags);
            Data::CommEventLog {
                byte_count,
                status,
                event_count,
                message_count,
                events,
            }
        }
        15 | 16 => {
            let address = r.be_u16().ok()?;
            let quantity = r.be_u16().ok()?;
            let max = if f.0 == 15 {
                MAX_WRITE_BITS
            } else {
                MAX_WRITE_REGISTERS
            };
            check_quantity(quantity, max, flags);
            Data::WriteMultipleResponse { address, quantity }
        }
        17 => {
            let byte_count = r.u8().ok()?;
            let data = take_counted(r, usize::from(byte_count), flags);
            Data::ReportServerId { byte_count, data }
        }
        20 => {
            let byte_count = r.u8().ok()?;
            if !(7..=0xf5).contains(&byte_count) {
                flags.insert(Flags::BYTE_COUNT_MISMATCH);
            }
            let raw = take_counted(r, usize::from(byte_count), flags);
            let resp = FileRecordResponses { byte_count, raw };
            let mut used = 0usize;
            for sub in resp {
                if sub.reference_type != 6 {
                    flags.insert(Flags::INVALID_VALUE);
                }
                used += 2 + sub.data.len();
            }
            if used != raw.len() {
                flags.insert(Flags::BYTE_COUNT_MISMATCH);
            }
            Data::FileRecordResponse(resp)
        }
        21 => {
            let byte_count = r.u8().ok()?;
            let raw = take_counted(r, usize::from(byte_count), flags);
            let recs = FileRecords {
                byte_count,
                with_data: true,
                raw,
            };
            check_file_records(recs, flags);
            Data::FileRecords(recs)
        }
        22 => Data::MaskWrite {
            address: r.be_u16().ok()?,
            and_mask: r.be_u16().ok()?,
            or_mask: r.be_u16().ok()?,
        },
        24 => {
            let byte_count = r.be_u16().ok()?;
            let fifo_count = r.be_u16().ok()?;
            if fifo_count > MAX_FIFO_COUNT {
                flags.insert(Flags::QUANTITY_OUT_OF_RANGE);
            }
            if usize::from(byte_count) != 2 + usize::from(fifo_count) * 2 {
                flags.insert(Flags::BYTE_COUNT_MISMATCH);
            }
            let values = take_counted(r, usize::from(fifo_count) * 2, flags);
            Data::FifoResponse {
                byte_count,
                fifo_count,
                values,
            }
        }
        43 => {
            let mei_type = MeiType(r.u8().ok()?);
            if mei_type == MeiType::READ_DEVICE_ID {
                let read_code = r.u8().ok()?;
                let conformity_level = r.u8().ok()?;
                let more_follows = r.u8().ok()?;
                let next_object_id = r.u8().ok()?;
                let number_of_objects = r.u8().ok()?;
                if more_follows != 0 && more_follows != 0xff {
                    flags.insert(Flags::INVALID_VALUE);
                }
                if !matches!(conformity_level, 1..=3 | 0x81..=0x83) {
                    flags.insert(Flags::INVALID_VALUE);
                }
                let dev = DeviceId {
                    read_code,
                    conformity_level,
                    more_follows,
                    next_object_id,
                    number_of_objects,
                    raw_objects: r.take_rest(),
                };
                let mut used = 0usize;
                let mut n = 0usize;
                for (_, v) in dev.objects() {
                    used += 2 + v.len();
                    n += 1;
                }
                if n != usize::from(number_of_objects) || used != dev.raw_objects.len() {
                    flags.insert(Flags::LENGTH_MISMATCH);
                }
                Data::DeviceIdResponse(dev)
            } else {
                Data::Mei {
                    mei_type,
                    data: r.take_rest(),
                }
            }
        }
        _ => Data::Other(r.take_rest()),
    })
}

/// Whether a function code byte is plausible at the start of a Modbus PDU: a named public
/// function, a user-defined one, a reserved one (UMAS 90...), or an exception of a named one.
pub fn plausible_function(code: u8) -> bool {
    let f = FunctionCode(code);
    if f.is_exception() {
        return f.is_named();
    }
    matches!(
        f.category(),
        Category::PublicAssigned | Category::UserDefined | Category::Reserved
    )
}

/// Whether the first bytes could start a Modbus/TCP ADU: protocol id 0, MBAP length in
/// `2..=254` and a plausible function code, checked as far as `input` goes.
pub fn plausible_header(input: &[u8]) -> Probe {
    let mut r = Reader::new(input);
    let Some(_tid) = r.be_u16().ok() else {
        return Probe::NeedMore;
    };
    match r.be_u16() {
        Ok(0) => {}
        Ok(_) => return Probe::No,
        Err(_) => return Probe::NeedMore,
    }
    match r.be_u16() {
        Ok(l) if (MIN_LENGTH..=MAX_LENGTH).contains(&l) => {}
        Ok(_) => return Probe::No,
        Err(_) => return Probe::NeedMore,
    }
    if r.u8().is_err() {
        return Probe::NeedMore;
    }
    match r.u8() {
        Ok(f) if plausible_function(f) => Probe::Yes,
        Ok(_) => Probe::No,
        Err(_) => Probe::NeedMore,
    }
}

/// Port-independent detection: does `input` (the first bytes of one direction) start with a
/// Modbus/TCP ADU? Needs the whole first ADU; answers [`Probe::Yes`] only when it parses in
/// one of the two directions with a consistent length and byte count.
pub fn probe(input: &[u8]) -> Probe {
    match plausible_header(input) {
        Probe::Yes => {}
        other => return other,
    }
    let mut any_incomplete = false;
    for dir in [Direction::Request, Direction::Response] {
        match parse_adu(input, dir) {
            Ok((_, adu)) => {
                let bad = Flags(
                    Flags::LENGTH_MISMATCH.0
                        | Flags::BYTE_COUNT_MISMATCH.0
                        | Flags::BAD_PROTOCOL_ID.0
                        | Flags::UNKNOWN_FUNCTION.0,
                );
                if adu.flags.0 & bad.0 == 0 {
                    return Probe::Yes;
                }
            }
            Err(ParseError::Incomplete(_)) => any_incomplete = true,
            Err(_) => {}
        }
    }
    if any_incomplete {
        Probe::NeedMore
    } else {
        Probe::No
    }
}

impl fmt::Display for FunctionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.0)
    }
}
