//! BACnet/IP, following ANSI/ASHRAE Standard 135 (*BACnet: A Data Communication Protocol for
//! Building Automation and Control Networks*): Annex J (BVLL for BACnet/IP), clause 6 (network
//! layer, NPDU), clause 20 (APDU encoding and tags) and clauses 13 to 16 (the services decoded).
//!
//! Layers are parsed one at a time, each borrowing from the datagram: [`parse_bvlc`] (type
//! `0x81`, function, length, the original source of a Forwarded-NPDU), [`parse_npdu`] (control,
//! DNET/DLEN/DADR, SNET/SLEN/SADR, hop count, network-layer message type) and [`parse_apdu`]
//! (PDU type, flags, invoke id, segmentation, service choice, reject/abort reasons). The
//! service payload is read with the strict bounded tag reader [`TagReader`] (opening/closing
//! tags nest at most [`MAX_DEPTH`] deep) by [`decode_service`]. Lists (ReadPropertyMultiple)
//! keep at most [`MAX_ITEMS`] entries and report when more were present.

use crate::reader::Reader;
use crate::{ParseError, Probe};

/// Deepest nesting of opening tags the tag reader accepts.
pub const MAX_DEPTH: usize = 16;
/// Most list entries (properties of ReadPropertyMultiple) kept per APDU.
pub const MAX_ITEMS: usize = 32;

macro_rules! code_newtype {
    ($(#[$m:meta])* $name:ident($t:ty) { $($(#[$cm:meta])* $c:ident = $v:expr => $s:expr,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub $t);
        impl $name {
            $($(#[$cm])* pub const $c: $name = $name($v);)*
            /// The standard's name, or `None` for an unassigned or proprietary value.
            #[must_use]
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($v => Some($s),)*
                    _ => None,
                }
            }
        }
    };
}

code_newtype! {
    /// BVLC function (Annex J.2).
    BvlcFunction(u8) {
        /// BVLC-Result.
        RESULT = 0 => "BVLC-Result",
        /// Write-Broadcast-Distribution-Table.
        WRITE_BDT = 1 => "Write-Broadcast-Distribution-Table",
        /// Read-Broadcast-Distribution-Table.
        READ_BDT = 2 => "Read-Broadcast-Distribution-Table",
        /// Read-Broadcast-Distribution-Table-Ack.
        READ_BDT_ACK = 3 => "Read-Broadcast-Distribution-Table-Ack",
        /// Forwarded-NPDU.
        FORWARDED_NPDU = 4 => "Forwarded-NPDU",
        /// Register-Foreign-Device.
        REGISTER_FD = 5 => "Register-Foreign-Device",
        /// Read-Foreign-Device-Table.
        READ_FDT = 6 => "Read-Foreign-Device-Table",
        /// Read-Foreign-Device-Table-Ack.
        READ_FDT_ACK = 7 => "Read-Foreign-Device-Table-Ack",
        /// Delete-Foreign-Device-Table-Entry.
        DELETE_FDT_ENTRY = 8 => "Delete-Foreign-Device-Table-Entry",
        /// Distribute-Broadcast-To-Network.
        DISTRIBUTE_BROADCAST = 9 => "Distribute-Broadcast-To-Network",
        /// Original-Unicast-NPDU.
        ORIGINAL_UNICAST = 10 => "Original-Unicast-NPDU",
        /// Original-Broadcast-NPDU.
        ORIGINAL_BROADCAST = 11 => "Original-Broadcast-NPDU",
        /// Secure-BVLL.
        SECURE_BVLL = 12 => "Secure-BVLL",
    }
}

code_newtype! {
    /// Network-layer message type (clause 6.2.4).
    NetworkMessage(u8) {
        /// Who-Is-Router-To-Network.
        WHO_IS_ROUTER = 0 => "Who-Is-Router-To-Network",
        /// I-Am-Router-To-Network.
        I_AM_ROUTER = 1 => "I-Am-Router-To-Network",
        /// I-Could-Be-Router-To-Network.
        I_COULD_BE_ROUTER = 2 => "I-Could-Be-Router-To-Network",
        /// Reject-Message-To-Network.
        REJECT_MESSAGE = 3 => "Reject-Message-To-Network",
        /// Router-Busy-To-Network.
        ROUTER_BUSY = 4 => "Router-Busy-To-Network",
        /// Router-Available-To-Network.
        ROUTER_AVAILABLE = 5 => "Router-Available-To-Network",
        /// Initialize-Routing-Table.
        INIT_RT = 6 => "Initialize-Routing-Table",
        /// Initialize-Routing-Table-Ack.
        INIT_RT_ACK = 7 => "Initialize-Routing-Table-Ack",
        /// Establish-Connection-To-Network.
        ESTABLISH = 8 => "Establish-Connection-To-Network",
        /// Disconnect-Connection-To-Network.
        DISCONNECT = 9 => "Disconnect-Connection-To-Network",
        /// Challenge-Request.
        CHALLENGE = 10 => "Challenge-Request",
        /// Security-Payload.
        SECURITY_PAYLOAD = 11 => "Security-Payload",
        /// Security-Response.
        SECURITY_RESPONSE = 12 => "Security-Response",
        /// Request-Key-Update.
        REQUEST_KEY_UPDATE = 13 => "Request-Key-Update",
        /// Update-Key-Set.
        UPDATE_KEY_SET = 14 => "Update-Key-Set",
        /// Update-Distribution-Key.
        UPDATE_DISTRIBUTION_KEY = 15 => "Update-Distribution-Key",
        /// Request-Master-Key.
        REQUEST_MASTER_KEY = 16 => "Request-Master-Key",
        /// Set-Master-Key.
        SET_MASTER_KEY = 17 => "Set-Master-Key",
        /// What-Is-Network-Number.
        WHAT_IS_NETWORK_NUMBER = 18 => "What-Is-Network-Number",
        /// Network-Number-Is.
        NETWORK_NUMBER_IS = 19 => "Network-Number-Is",
    }
}

code_newtype! {
    /// APDU type (clause 20.1.1, the high nibble of the first octet).
    PduType(u8) {
        /// BACnet-Confirmed-Request-PDU.
        CONFIRMED_REQUEST = 0 => "confirmed_request",
        /// BACnet-Unconfirmed-Request-PDU.
        UNCONFIRMED_REQUEST = 1 => "unconfirmed_request",
        /// BACnet-SimpleACK-PDU.
        SIMPLE_ACK = 2 => "simple_ack",
        /// BACnet-ComplexACK-PDU.
        COMPLEX_ACK = 3 => "complex_ack",
        /// BACnet-SegmentACK-PDU.
        SEGMENT_ACK = 4 => "segment_ack",
        /// BACnet-Error-PDU.
        ERROR = 5 => "error",
        /// BACnet-Reject-PDU.
        REJECT = 6 => "reject",
        /// BACnet-Abort-PDU.
        ABORT = 7 => "abort",
    }
}

code_newtype! {
    /// Confirmed service choice (clause 21, `BACnetConfirmedServiceChoice`).
    ConfirmedService(u8) {
        /// acknowledgeAlarm.
        ACKNOWLEDGE_ALARM = 0 => "acknowledgeAlarm",
        /// confirmedCOVNotification.
        CONFIRMED_COV_NOTIFICATION = 1 => "confirmedCOVNotification",
        /// confirmedEventNotification.
        CONFIRMED_EVENT_NOTIFICATION = 2 => "confirmedEventNotification",
        /// getAlarmSummary.
        GET_ALARM_SUMMARY = 3 => "getAlarmSummary",
        /// getEnrollmentSummary.
        GET_ENROLLMENT_SUMMARY = 4 => "getEnrollmentSummary",
        /// subscribeCOV.
        SUBSCRIBE_COV = 5 => "subscribeCOV",
        /// atomicReadFile.
        ATOMIC_READ_FILE = 6 => "atomicReadFile",
        /// atomicWriteFile.
        ATOMIC_WRITE_FILE = 7 => "atomicWriteFile",
        /// addListElement.
        ADD_LIST_ELEMENT = 8 => "addListElement",
        /// removeListElement.
        REMOVE_LIST_ELEMENT = 9 => "removeListElement",
        /// createObject.
        CREATE_OBJECT = 10 => "createObject",
        /// deleteObject.
        DELETE_OBJECT = 11 => "deleteObject",
        /// readProperty.
        READ_PROPERTY = 12 => "readProperty",
        /// readPropertyConditional.
        READ_PROPERTY_CONDITIONAL = 13 => "readPropertyConditional",
        /// readPropertyMultiple.
        READ_PROPERTY_MULTIPLE = 14 => "readPropertyMultiple",
        /// writeProperty.
        WRITE_PROPERTY = 15 => "writeProperty",
        /// writePropertyMultiple.
        WRITE_PROPERTY_MULTIPLE = 16 => "writePropertyMultiple",
        /// deviceCommunicationControl.
        DEVICE_COMMUNICATION_CONTROL = 17 => "deviceCommunicationControl",
        /// confirmedPrivateTransfer.
        CONFIRMED_PRIVATE_TRANSFER = 18 => "confirmedPrivateTransfer",
        /// confirmedTextMessage.
        CONFIRMED_TEXT_MESSAGE = 19 => "confirmedTextMessage",
        /// reinitializeDevice.
        REINITIALIZE_DEVICE = 20 => "reinitializeDevice",
        /// vtOpen.
        VT_OPEN = 21 => "vtOpen",
        /// vtClose.
        VT_CLOSE = 22 => "vtClose",
        /// vtData.
        VT_DATA = 23 => "vtData",
        /// authenticate.
        AUTHENTICATE = 24 => "authenticate",
        /// requestKey.
        REQUEST_KEY = 25 => "requestKey",
        /// readRange.
        READ_RANGE = 26 => "readRange",
        /// lifeSafetyOperation.
        LIFE_SAFETY_OPERATION = 27 => "lifeSafetyOperation",
        /// subscribeCOVProperty.
        SUBSCRIBE_COV_PROPERTY = 28 => "subscribeCOVProperty",
        /// getEventInformation.
        GET_EVENT_INFORMATION = 29 => "getEventInformation",
        /// subscribeCOVPropertyMultiple.
        SUBSCRIBE_COV_PROPERTY_MULTIPLE = 30 => "subscribeCOVPropertyMultiple",
        /// confirmedCOVNotificationMultiple.
        CONFIRMED_COV_NOTIFICATION_MULTIPLE = 31 => "confirmedCOVNotificationMultiple",
        /// confirmedAuditNotification.
        CONFIRMED_AUDIT_NOTIFICATION = 32 => "confirmedAuditNotification",
        /// auditLogQuery.
        AUDIT_LOG_QUERY = 33 => "auditLogQuery",
    }
}

code_newtype! {
    /// Unconfirmed service choice (clause 21, `BACnetUnconfirmedServiceChoice`).
    UnconfirmedService(u8) {
        /// i-Am.
        I_AM = 0 => "i-Am",
        /// i-Have.
        I_HAVE = 1 => "i-Have",
        /// unconfirmedCOVNotification.
        UNCONFIRMED_COV_NOTIFICATION = 2 => "unconfirmedCOVNotification",
        /// unconfirmedEventNotification.
        UNCONFIRMED_EVENT_NOTIFICATION = 3 => "unconfirmedEventNotification",
        /// unconfirmedPrivateTransfer.
        UNCONFIRMED_PRIVATE_TRANSFER = 4 => "unconfirmedPrivateTransfer",
        /// unconfirmedTextMessage.
        UNCONFIRMED_TEXT_MESSAGE = 5 => "unconfirmedTextMessage",
        /// timeSynchronization.
        TIME_SYNCHRONIZATION = 6 => "timeSynchronization",
        /// who-Has.
        WHO_HAS = 7 => "who-Has",
        /// who-Is.
        WHO_IS = 8 => "who-Is",
        /// utcTimeSynchronization.
        UTC_TIME_SYNCHRONIZATION = 9 => "utcTimeSynchronization",
        /// writeGroup.
        WRITE_GROUP = 10 => "writeGroup",
        /// unconfirmedCOVNotificationMultiple.
        UNCONFIRMED_COV_NOTIFICATION_MULTIPLE = 11 => "unconfirmedCOVNotificationMultiple",
        /// unconfirmedAuditNotification.
        UNCONFIRMED_AUDIT_NOTIFICATION = 12 => "unconfirmedAuditNotification",
        /// who-Am-I.
        WHO_AM_I = 13 => "who-Am-I",
        /// you-Are.
        YOU_ARE = 14 => "you-Are",
    }
}

code_newtype! {
    /// Reject reason (clause 21, `BACnetRejectReason`).
    RejectReason(u8) {
        /// other.
        OTHER = 0 => "other",
        /// buffer-overflow.
        BUFFER_OVERFLOW = 1 => "buffer-overflow",
        /// inconsistent-parameters.
        INCONSISTENT_PARAMETERS = 2 => "inconsistent-parameters",
        /// invalid-parameter-data-type.
        INVALID_PARAMETER_DATA_TYPE = 3 => "invalid-parameter-data-type",
        /// invalid-tag.
        INVALID_TAG = 4 => "invalid-tag",
        /// missing-required-parameter.
        MISSING_REQUIRED_PARAMETER = 5 => "missing-required-parameter",
        /// parameter-out-of-range.
        PARAMETER_OUT_OF_RANGE = 6 => "parameter-out-of-range",
        /// too-many-arguments.
        TOO_MANY_ARGUMENTS = 7 => "too-many-arguments",
        /// undefined-enumeration.
        UNDEFINED_ENUMERATION = 8 => "undefined-enumeration",
        /// unrecognized-service.
        UNRECOGNIZED_SERVICE = 9 => "unrecognized-service",
        /// invalid-data-encoding.
        INVALID_DATA_ENCODING = 10 => "invalid-data-encoding",
    }
}

code_newtype! {
    /// Abort reason (clause 21, `BACnetAbortReason`).
    AbortReason(u8) {
        /// other.
        OTHER = 0 => "other",
        /// buffer-overflow.
        BUFFER_OVERFLOW = 1 => "buffer-overflow",
        /// invalid-apdu-in-this-state.
        INVALID_APDU_IN_THIS_STATE = 2 => "invalid-apdu-in-this-state",
        /// preempted-by-higher-priority-task.
        PREEMPTED = 3 => "preempted-by-higher-priority-task",
        /// segmentation-not-supported.
        SEGMENTATION_NOT_SUPPORTED = 4 => "segmentation-not-supported",
        /// security-error.
        SECURITY_ERROR = 5 => "security-error",
        /// insufficient-security.
        INSUFFICIENT_SECURITY = 6 => "insufficient-security",
        /// window-size-out-of-range.
        WINDOW_SIZE_OUT_OF_RANGE = 7 => "window-size-out-of-range",
        /// application-exceeded-reply-time.
        APPLICATION_EXCEEDED_REPLY_TIME = 8 => "application-exceeded-reply-time",
        /// out-of-resources.
        OUT_OF_RESOURCES = 9 => "out-of-resources",
        /// tsm-timeout.
        TSM_TIMEOUT = 10 => "tsm-timeout",
        /// apdu-too-long.
        APDU_TOO_LONG = 11 => "apdu-too-long",
    }
}

code_newtype! {
    /// Error class (clause 21, `Error`).
    ErrorClass(u32) {
        /// device.
        DEVICE = 0 => "device",
        /// object.
        OBJECT = 1 => "object",
        /// property.
        PROPERTY = 2 => "property",
        /// resources.
        RESOURCES = 3 => "resources",
        /// security.
        SECURITY = 4 => "security",
        /// services.
        SERVICES = 5 => "services",
        /// vt.
        VT = 6 => "vt",
        /// communication.
        COMMUNICATION = 7 => "communication",
    }
}

code_newtype! {
    /// Error code (clause 21, `Error`; the commonly seen values).
    ErrorCode(u32) {
        /// other.
        OTHER = 0 => "other",
        /// configuration-in-progress.
        CONFIGURATION_IN_PROGRESS = 2 => "configuration-in-progress",
        /// device-busy.
        DEVICE_BUSY = 3 => "device-busy",
        /// dynamic-creation-not-supported.
        DYNAMIC_CREATION_NOT_SUPPORTED = 4 => "dynamic-creation-not-supported",
        /// file-access-denied.
        FILE_ACCESS_DENIED = 5 => "file-access-denied",
        /// inconsistent-parameters.
        INCONSISTENT_PARAMETERS = 7 => "inconsistent-parameters",
        /// inconsistent-selection-criterion.
        INCONSISTENT_SELECTION_CRITERION = 8 => "inconsistent-selection-criterion",
        /// invalid-data-type.
        INVALID_DATA_TYPE = 9 => "invalid-data-type",
        /// invalid-file-access-method.
        INVALID_FILE_ACCESS_METHOD = 10 => "invalid-file-access-method",
        /// invalid-file-start-position.
        INVALID_FILE_START_POSITION = 11 => "invalid-file-start-position",
        /// invalid-parameter-data-type.
        INVALID_PARAMETER_DATA_TYPE = 13 => "invalid-parameter-data-type",
        /// invalid-time-stamp.
        INVALID_TIME_STAMP = 14 => "invalid-time-stamp",
        /// missing-required-parameter.
        MISSING_REQUIRED_PARAMETER = 16 => "missing-required-parameter",
        /// no-objects-of-specified-type.
        NO_OBJECTS_OF_SPECIFIED_TYPE = 17 => "no-objects-of-specified-type",
        /// no-space-for-object.
        NO_SPACE_FOR_OBJECT = 18 => "no-space-for-object",
        /// no-space-to-add-list-element.
        NO_SPACE_TO_ADD_LIST_ELEMENT = 19 => "no-space-to-add-list-element",
        /// no-space-to-write-property.
        NO_SPACE_TO_WRITE_PROPERTY = 20 => "no-space-to-write-property",
        /// no-vt-sessions-available.
        NO_VT_SESSIONS_AVAILABLE = 21 => "no-vt-sessions-available",
        /// property-is-not-a-list.
        PROPERTY_IS_NOT_A_LIST = 22 => "property-is-not-a-list",
        /// object-deletion-not-permitted.
        OBJECT_DELETION_NOT_PERMITTED = 23 => "object-deletion-not-permitted",
        /// object-identifier-already-exists.
        OBJECT_IDENTIFIER_ALREADY_EXISTS = 24 => "object-identifier-already-exists",
        /// operational-problem.
        OPERATIONAL_PROBLEM = 25 => "operational-problem",
        /// password-failure.
        PASSWORD_FAILURE = 26 => "password-failure",
        /// read-access-denied.
        READ_ACCESS_DENIED = 27 => "read-access-denied",
        /// service-request-denied.
        SERVICE_REQUEST_DENIED = 29 => "service-request-denied",
        /// timeout.
        TIMEOUT = 30 => "timeout",
        /// unknown-object.
        UNKNOWN_OBJECT = 31 => "unknown-object",
        /// unknown-property.
        UNKNOWN_PROPERTY = 32 => "unknown-property",
        /// unknown-vt-class.
        UNKNOWN_VT_CLASS = 34 => "unknown-vt-class",
        /// unknown-vt-session.
        UNKNOWN_VT_SESSION = 35 => "unknown-vt-session",
        /// unsupported-object-type.
        UNSUPPORTED_OBJECT_TYPE = 36 => "unsupported-object-type",
        /// value-out-of-range.
        VALUE_OUT_OF_RANGE = 37 => "value-out-of-range",
        /// vt-session-already-closed.
        VT_SESSION_ALREADY_CLOSED = 38 => "vt-session-already-closed",
        /// vt-session-termination-failure.
        VT_SESSION_TERMINATION_FAILURE = 39 => "vt-session-termination-failure",
        /// write-access-denied.
        WRITE_ACCESS_DENIED = 40 => "write-access-denied",
        /// character-set-not-supported.
        CHARACTER_SET_NOT_SUPPORTED = 41 => "character-set-not-supported",
        /// invalid-array-index.
        INVALID_ARRAY_INDEX = 42 => "invalid-array-index",
        /// cov-subscription-failed.
        COV_SUBSCRIPTION_FAILED = 43 => "cov-subscription-failed",
        /// not-cov-property.
        NOT_COV_PROPERTY = 44 => "not-cov-property",
        /// optional-functionality-not-supported.
        OPTIONAL_FUNCTIONALITY_NOT_SUPPORTED = 45 => "optional-functionality-not-supported",
        /// invalid-configuration-data.
        INVALID_CONFIGURATION_DATA = 46 => "invalid-configuration-data",
        /// datatype-not-supported.
        DATATYPE_NOT_SUPPORTED = 47 => "datatype-not-supported",
        /// duplicate-name.
        DUPLICATE_NAME = 48 => "duplicate-name",
        /// duplicate-object-id.
        DUPLICATE_OBJECT_ID = 49 => "duplicate-object-id",
        /// property-is-not-an-array.
        PROPERTY_IS_NOT_AN_ARRAY = 50 => "property-is-not-an-array",
        /// abort-buffer-overflow.
        ABORT_BUFFER_OVERFLOW = 51 => "abort-buffer-overflow",
        /// abort-invalid-apdu-in-this-state.
        ABORT_INVALID_APDU = 52 => "abort-invalid-apdu-in-this-state",
        /// abort-preempted-by-higher-priority-task.
        ABORT_PREEMPTED = 53 => "abort-preempted-by-higher-priority-task",
        /// abort-segmentation-not-supported.
        ABORT_SEGMENTATION_NOT_SUPPORTED = 54 => "abort-segmentation-not-supported",
        /// abort-proprietary.
        ABORT_PROPRIETARY = 55 => "abort-proprietary",
        /// abort-other.
        ABORT_OTHER = 56 => "abort-other",
        /// invalid-tag.
        INVALID_TAG = 57 => "invalid-tag",
        /// network-down.
        NETWORK_DOWN = 58 => "network-down",
        /// reject-buffer-overflow.
        REJECT_BUFFER_OVERFLOW = 59 => "reject-buffer-overflow",
        /// reject-inconsistent-parameters.
        REJECT_INCONSISTENT_PARAMETERS = 60 => "reject-inconsistent-parameters",
        /// reject-invalid-parameter-data-type.
        REJECT_INVALID_PARAMETER_DATA_TYPE = 61 => "reject-invalid-parameter-data-type",
        /// reject-invalid-tag.
        REJECT_INVALID_TAG = 62 => "reject-invalid-tag",
        /// reject-missing-required-parameter.
        REJECT_MISSING_REQUIRED_PARAMETER = 63 => "reject-missing-required-parameter",
        /// reject-parameter-out-of-range.
        REJECT_PARAMETER_OUT_OF_RANGE = 64 => "reject-parameter-out-of-range",
        /// reject-too-many-arguments.
        REJECT_TOO_MANY_ARGUMENTS = 65 => "reject-too-many-arguments",
        /// reject-undefined-enumeration.
        REJECT_UNDEFINED_ENUMERATION = 66 => "reject-undefined-enumeration",
        /// reject-unrecognized-service.
        REJECT_UNRECOGNIZED_SERVICE = 67 => "reject-unrecognized-service",
        /// reject-proprietary.
        REJECT_PROPRIETARY = 68 => "reject-proprietary",
        /// reject-other.
        REJECT_OTHER = 69 => "reject-other",
        /// unknown-device.
        UNKNOWN_DEVICE = 70 => "unknown-device",
        /// unknown-route.
        UNKNOWN_ROUTE = 71 => "unknown-route",
        /// value-not-initialized.
        VALUE_NOT_INITIALIZED = 72 => "value-not-initialized",
        /// invalid-event-state.
        INVALID_EVENT_STATE = 73 => "invalid-event-state",
        /// no-alarm-configured.
        NO_ALARM_CONFIGURED = 74 => "no-alarm-configured",
        /// log-buffer-full.
        LOG_BUFFER_FULL = 75 => "log-buffer-full",
        /// logged-value-purged.
        LOGGED_VALUE_PURGED = 76 => "logged-value-purged",
        /// no-property-specified.
        NO_PROPERTY_SPECIFIED = 77 => "no-property-specified",
        /// not-configured-for-triggered-logging.
        NOT_CONFIGURED_FOR_TRIGGERED_LOGGING = 78 => "not-configured-for-triggered-logging",
        /// unknown-subscription.
        UNKNOWN_SUBSCRIPTION = 79 => "unknown-subscription",
        /// communication-disabled.
        COMMUNICATION_DISABLED = 83 => "communication-disabled",
        /// success.
        SUCCESS = 84 => "success",
        /// access-denied.
        ACCESS_DENIED = 85 => "access-denied",
    }
}

code_newtype! {
    /// Object type (clause 21, `BACnetObjectType`).
    ObjectType(u16) {
        /// analog-input.
        ANALOG_INPUT = 0 => "analog-input",
        /// analog-output.
        ANALOG_OUTPUT = 1 => "analog-output",
        /// analog-value.
        ANALOG_VALUE = 2 => "analog-value",
        /// binary-input.
        BINARY_INPUT = 3 => "binary-input",
        /// binary-output.
        BINARY_OUTPUT = 4 => "binary-output",
        /// binary-value.
        BINARY_VALUE = 5 => "binary-value",
        /// calendar.
        CALENDAR = 6 => "calendar",
        /// command.
        COMMAND = 7 => "command",
        /// device.
        DEVICE = 8 => "device",
        /// event-enrollment.
        EVENT_ENROLLMENT = 9 => "event-enrollment",
        /// file.
        FILE = 10 => "file",
        /// group.
        GROUP = 11 => "group",
        /// loop.
        LOOP = 12 => "loop",
        /// multi-state-input.
        MULTI_STATE_INPUT = 13 => "multi-state-input",
        /// multi-state-output.
        MULTI_STATE_OUTPUT = 14 => "multi-state-output",
        /// notification-class.
        NOTIFICATION_CLASS = 15 => "notification-class",
        /// program.
        PROGRAM = 16 => "program",
        /// schedule.
        SCHEDULE = 17 => "schedule",
        /// averaging.
        AVERAGING = 18 => "averaging",
        /// multi-state-value.
        MULTI_STATE_VALUE = 19 => "multi-state-value",
        /// trend-log.
        TREND_LOG = 20 => "trend-log",
        /// life-safety-point.
        LIFE_SAFETY_POINT = 21 => "life-safety-point",
        /// life-safety-zone.
        LIFE_SAFETY_ZONE = 22 => "life-safety-zone",
        /// accumulator.
        ACCUMULATOR = 23 => "accumulator",
        /// pulse-converter.
        PULSE_CONVERTER = 24 => "pulse-converter",
        /// event-log.
        EVENT_LOG = 25 => "event-log",
        /// global-group.
        GLOBAL_GROUP = 26 => "global-group",
        /// trend-log-multiple.
        TREND_LOG_MULTIPLE = 27 => "trend-log-multiple",
        /// load-control.
        LOAD_CONTROL = 28 => "load-control",
        /// structured-view.
        STRUCTURED_VIEW = 29 => "structured-view",
        /// access-door.
        ACCESS_DOOR = 30 => "access-door",
        /// timer.
        TIMER = 31 => "timer",
        /// access-credential.
        ACCESS_CREDENTIAL = 32 => "access-credential",
        /// access-point.
        ACCESS_POINT = 33 => "access-point",
        /// access-rights.
        ACCESS_RIGHTS = 34 => "access-rights",
        /// access-user.
        ACCESS_USER = 35 => "access-user",
        /// access-zone.
        ACCESS_ZONE = 36 => "access-zone",
        /// credential-data-input.
        CREDENTIAL_DATA_INPUT = 37 => "credential-data-input",
        /// network-security.
        NETWORK_SECURITY = 38 => "network-security",
        /// bitstring-value.
        BITSTRING_VALUE = 39 => "bitstring-value",
        /// characterstring-value.
        CHARACTERSTRING_VALUE = 40 => "characterstring-value",
        /// datepattern-value.
        DATEPATTERN_VALUE = 41 => "datepattern-value",
        /// date-value.
        DATE_VALUE = 42 => "date-value",
        /// datetimepattern-value.
        DATETIMEPATTERN_VALUE = 43 => "datetimepattern-value",
        /// datetime-value.
        DATETIME_VALUE = 44 => "datetime-value",
        /// integer-value.
        INTEGER_VALUE = 45 => "integer-value",
        /// large-analog-value.
        LARGE_ANALOG_VALUE = 46 => "large-analog-value",
        /// octetstring-value.
        OCTETSTRING_VALUE = 47 => "octetstring-value",
        /// positive-integer-value.
        POSITIVE_INTEGER_VALUE = 48 => "positive-integer-value",
        /// time-pattern-value.
        TIMEPATTERN_VALUE = 49 => "timepattern-value",
        /// time-value.
        TIME_VALUE = 50 => "time-value",
        /// notification-forwarder.
        NOTIFICATION_FORWARDER = 51 => "notification-forwarder",
        /// alert-enrollment.
        ALERT_ENROLLMENT = 52 => "alert-enrollment",
        /// channel.
        CHANNEL = 53 => "channel",
        /// lighting-output.
        LIGHTING_OUTPUT = 54 => "lighting-output",
        /// binary-lighting-output.
        BINARY_LIGHTING_OUTPUT = 55 => "binary-lighting-output",
        /// network-port.
        NETWORK_PORT = 56 => "network-port",
        /// elevator-group.
        ELEVATOR_GROUP = 57 => "elevator-group",
        /// escalator.
        ESCALATOR = 58 => "escalator",
        /// lift.
        LIFT = 59 => "lift",
        /// staging.
        STAGING = 60 => "staging",
        /// audit-log.
        AUDIT_LOG = 61 => "audit-log",
        /// audit-reporter.
        AUDIT_REPORTER = 62 => "audit-reporter",
        /// color.
        COLOR = 63 => "color",
        /// color-temperature.
        COLOR_TEMPERATURE = 64 => "color-temperature",
    }
}

code_newtype! {
    /// Property identifier (clause 21, `BACnetPropertyIdentifier`; the commonly seen values).
    PropertyId(u32) {
        /// acked-transitions.
        ACKED_TRANSITIONS = 0 => "acked-transitions",
        /// ack-required.
        ACK_REQUIRED = 1 => "ack-required",
        /// action.
        ACTION = 2 => "action",
        /// action-text.
        ACTION_TEXT = 3 => "action-text",
        /// active-text.
        ACTIVE_TEXT = 4 => "active-text",
        /// active-vt-sessions.
        ACTIVE_VT_SESSIONS = 5 => "active-vt-sessions",
        /// alarm-value.
        ALARM_VALUE = 6 => "alarm-value",
        /// alarm-values.
        ALARM_VALUES = 7 => "alarm-values",
        /// all.
        ALL = 8 => "all",
        /// all-writes-successful.
        ALL_WRITES_SUCCESSFUL = 9 => "all-writes-successful",
        /// apdu-segment-timeout.
        APDU_SEGMENT_TIMEOUT = 10 => "apdu-segment-timeout",
        /// apdu-timeout.
        APDU_TIMEOUT = 11 => "apdu-timeout",
        /// application-software-version.
        APPLICATION_SOFTWARE_VERSION = 12 => "application-software-version",
        /// archive.
        ARCHIVE = 13 => "archive",
        /// bias.
        BIAS = 14 => "bias",
        /// change-of-state-count.
        CHANGE_OF_STATE_COUNT = 15 => "change-of-state-count",
        /// change-of-state-time.
        CHANGE_OF_STATE_TIME = 16 => "change-of-state-time",
        /// notification-class.
        NOTIFICATION_CLASS = 17 => "notification-class",
        /// controlled-variable-reference.
        CONTROLLED_VARIABLE_REFERENCE = 19 => "controlled-variable-reference",
        /// controlled-variable-units.
        CONTROLLED_VARIABLE_UNITS = 20 => "controlled-variable-units",
        /// controlled-variable-value.
        CONTROLLED_VARIABLE_VALUE = 21 => "controlled-variable-value",
        /// cov-increment.
        COV_INCREMENT = 22 => "cov-increment",
        /// date-list.
        DATE_LIST = 23 => "date-list",
        /// daylight-savings-status.
        DAYLIGHT_SAVINGS_STATUS = 24 => "daylight-savings-status",
        /// deadband.
        DEADBAND = 25 => "deadband",
        /// derivative-constant.
        DERIVATIVE_CONSTANT = 26 => "derivative-constant",
        /// derivative-constant-units.
        DERIVATIVE_CONSTANT_UNITS = 27 => "derivative-constant-units",
        /// description.
        DESCRIPTION = 28 => "description",
        /// description-of-halt.
        DESCRIPTION_OF_HALT = 29 => "description-of-halt",
        /// device-address-binding.
        DEVICE_ADDRESS_BINDING = 30 => "device-address-binding",
        /// device-type.
        DEVICE_TYPE = 31 => "device-type",
        /// effective-period.
        EFFECTIVE_PERIOD = 32 => "effective-period",
        /// elapsed-active-time.
        ELAPSED_ACTIVE_TIME = 33 => "elapsed-active-time",
        /// error-limit.
        ERROR_LIMIT = 34 => "error-limit",
        /// event-enable.
        EVENT_ENABLE = 35 => "event-enable",
        /// event-state.
        EVENT_STATE = 36 => "event-state",
        /// event-type.
        EVENT_TYPE = 37 => "event-type",
        /// exception-schedule.
        EXCEPTION_SCHEDULE = 38 => "exception-schedule",
        /// fault-values.
        FAULT_VALUES = 39 => "fault-values",
        /// feedback-value.
        FEEDBACK_VALUE = 40 => "feedback-value",
        /// file-access-method.
        FILE_ACCESS_METHOD = 41 => "file-access-method",
        /// file-size.
        FILE_SIZE = 42 => "file-size",
        /// file-type.
        FILE_TYPE = 43 => "file-type",
        /// firmware-revision.
        FIRMWARE_REVISION = 44 => "firmware-revision",
        /// high-limit.
        HIGH_LIMIT = 45 => "high-limit",
        /// inactive-text.
        INACTIVE_TEXT = 46 => "inactive-text",
        /// in-process.
        IN_PROCESS = 47 => "in-process",
        /// instance-of.
        INSTANCE_OF = 48 => "instance-of",
        /// integral-constant.
        INTEGRAL_CONSTANT = 49 => "integral-constant",
        /// integral-constant-units.
        INTEGRAL_CONSTANT_UNITS = 50 => "integral-constant-units",
        /// limit-enable.
        LIMIT_ENABLE = 52 => "limit-enable",
        /// list-of-group-members.
        LIST_OF_GROUP_MEMBERS = 53 => "list-of-group-members",
        /// list-of-object-property-references.
        LIST_OF_OBJECT_PROPERTY_REFERENCES = 54 => "list-of-object-property-references",
        /// local-date.
        LOCAL_DATE = 56 => "local-date",
        /// local-time.
        LOCAL_TIME = 57 => "local-time",
        /// location.
        LOCATION = 58 => "location",
        /// low-limit.
        LOW_LIMIT = 59 => "low-limit",
        /// manipulated-variable-reference.
        MANIPULATED_VARIABLE_REFERENCE = 60 => "manipulated-variable-reference",
        /// maximum-output.
        MAXIMUM_OUTPUT = 61 => "maximum-output",
        /// max-apdu-length-accepted.
        MAX_APDU_LENGTH_ACCEPTED = 62 => "max-apdu-length-accepted",
        /// max-info-frames.
        MAX_INFO_FRAMES = 63 => "max-info-frames",
        /// max-master.
        MAX_MASTER = 64 => "max-master",
        /// max-pres-value.
        MAX_PRES_VALUE = 65 => "max-pres-value",
        /// minimum-off-time.
        MINIMUM_OFF_TIME = 66 => "minimum-off-time",
        /// minimum-on-time.
        MINIMUM_ON_TIME = 67 => "minimum-on-time",
        /// minimum-output.
        MINIMUM_OUTPUT = 68 => "minimum-output",
        /// min-pres-value.
        MIN_PRES_VALUE = 69 => "min-pres-value",
        /// model-name.
        MODEL_NAME = 70 => "model-name",
        /// modification-date.
        MODIFICATION_DATE = 71 => "modification-date",
        /// notify-type.
        NOTIFY_TYPE = 72 => "notify-type",
        /// number-of-apdu-retries.
        NUMBER_OF_APDU_RETRIES = 73 => "number-of-APDU-retries",
        /// number-of-states.
        NUMBER_OF_STATES = 74 => "number-of-states",
        /// object-identifier.
        OBJECT_IDENTIFIER = 75 => "object-identifier",
        /// object-list.
        OBJECT_LIST = 76 => "object-list",
        /// object-name.
        OBJECT_NAME = 77 => "object-name",
        /// object-property-reference.
        OBJECT_PROPERTY_REFERENCE = 78 => "object-property-reference",
        /// object-type.
        OBJECT_TYPE = 79 => "object-type",
        /// optional.
        OPTIONAL = 80 => "optional",
        /// out-of-service.
        OUT_OF_SERVICE = 81 => "out-of-service",
        /// output-units.
        OUTPUT_UNITS = 82 => "output-units",
        /// event-parameters.
        EVENT_PARAMETERS = 83 => "event-parameters",
        /// polarity.
        POLARITY = 84 => "polarity",
        /// present-value.
        PRESENT_VALUE = 85 => "present-value",
        /// priority.
        PRIORITY = 86 => "priority",
        /// priority-array.
        PRIORITY_ARRAY = 87 => "priority-array",
        /// priority-for-writing.
        PRIORITY_FOR_WRITING = 88 => "priority-for-writing",
        /// process-identifier.
        PROCESS_IDENTIFIER = 89 => "process-identifier",
        /// program-change.
        PROGRAM_CHANGE = 90 => "program-change",
        /// program-location.
        PROGRAM_LOCATION = 91 => "program-location",
        /// program-state.
        PROGRAM_STATE = 92 => "program-state",
        /// proportional-constant.
        PROPORTIONAL_CONSTANT = 93 => "proportional-constant",
        /// proportional-constant-units.
        PROPORTIONAL_CONSTANT_UNITS = 94 => "proportional-constant-units",
        /// protocol-object-types-supported.
        PROTOCOL_OBJECT_TYPES_SUPPORTED = 96 => "protocol-object-types-supported",
        /// protocol-services-supported.
        PROTOCOL_SERVICES_SUPPORTED = 97 => "protocol-services-supported",
        /// protocol-version.
        PROTOCOL_VERSION = 98 => "protocol-version",
        /// read-only.
        READ_ONLY = 99 => "read-only",
        /// reason-for-halt.
        REASON_FOR_HALT = 100 => "reason-for-halt",
        /// recipient-list.
        RECIPIENT_LIST = 102 => "recipient-list",
        /// reliability.
        RELIABILITY = 103 => "reliability",
        /// relinquish-default.
        RELINQUISH_DEFAULT = 104 => "relinquish-default",
        /// required.
        REQUIRED = 105 => "required",
        /// resolution.
        RESOLUTION = 106 => "resolution",
        /// segmentation-supported.
        SEGMENTATION_SUPPORTED = 107 => "segmentation-supported",
        /// setpoint.
        SETPOINT = 108 => "setpoint",
        /// setpoint-reference.
        SETPOINT_REFERENCE = 109 => "setpoint-reference",
        /// state-text.
        STATE_TEXT = 110 => "state-text",
        /// status-flags.
        STATUS_FLAGS = 111 => "status-flags",
        /// system-status.
        SYSTEM_STATUS = 112 => "system-status",
        /// time-delay.
        TIME_DELAY = 113 => "time-delay",
        /// time-of-active-time-reset.
        TIME_OF_ACTIVE_TIME_RESET = 114 => "time-of-active-time-reset",
        /// time-of-state-count-reset.
        TIME_OF_STATE_COUNT_RESET = 115 => "time-of-state-count-reset",
        /// time-synchronization-recipients.
        TIME_SYNCHRONIZATION_RECIPIENTS = 116 => "time-synchronization-recipients",
        /// units.
        UNITS = 117 => "units",
        /// update-interval.
        UPDATE_INTERVAL = 118 => "update-interval",
        /// utc-offset.
        UTC_OFFSET = 119 => "utc-offset",
        /// vendor-identifier.
        VENDOR_IDENTIFIER = 120 => "vendor-identifier",
        /// vendor-name.
        VENDOR_NAME = 121 => "vendor-name",
        /// vt-classes-supported.
        VT_CLASSES_SUPPORTED = 122 => "vt-classes-supported",
        /// weekly-schedule.
        WEEKLY_SCHEDULE = 123 => "weekly-schedule",
        /// protocol-revision.
        PROTOCOL_REVISION = 139 => "protocol-revision",
        /// database-revision.
        DATABASE_REVISION = 155 => "database-revision",
        /// serial-number.
        SERIAL_NUMBER = 372 => "serial-number",
    }
}

/// Interpret a 4-byte BACnetObjectIdentifier (10-bit type, 22-bit instance).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ObjectId {
    /// Object type.
    pub object_type: ObjectType,
    /// Instance number (0 to 4194303; 4194303 is the wildcard).
    pub instance: u32,
}

impl ObjectId {
    /// From the 32-bit wire value.
    #[must_use]
    pub fn from_u32(v: u32) -> ObjectId {
        ObjectId {
            #[allow(clippy::cast_possible_truncation, reason = "10 bits")]
            object_type: ObjectType((v >> 22) as u16),
            instance: v & 0x3f_ffff,
        }
    }
}

/// A BVLC header (Annex J.2) and what follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bvlc<'a> {
    /// Function.
    pub function: BvlcFunction,
    /// BVLC length (whole datagram).
    pub length: u16,
    /// Original source B/IP address (4-byte IPv4 + 2-byte port) of a Forwarded-NPDU.
    pub original_address: Option<&'a [u8]>,
    /// Result code of a BVLC-Result.
    pub result_code: Option<u16>,
    /// The NPDU, for functions that carry one (4, 9, 10, 11).
    pub npdu: Option<&'a [u8]>,
    /// The BVLC length differs from the datagram's length. The datagram (framed by UDP) is
    /// used, as Wireshark does.
    pub length_mismatch: bool,
}

/// Parse a BVLC header.
///
/// # Errors
/// [`ParseError::Invalid`] when the type is not `0x81`, the datagram is shorter than 4 bytes, the
/// BVLC length is below 4, or the datagram is shorter than the function's header. A BVLC
/// length that differs from the datagram's is flagged (`length_mismatch`), not an error.
pub fn parse_bvlc(data: &[u8]) -> Result<Bvlc<'_>, ParseError> {
    let mut r = Reader::new(data);
    let head = r.take(4).map_err(|_| ParseError::Invalid("bvlc header"))?;
    let [ty, function, l0, l1] = [head[0], head[1], head[2], head[3]];
    if ty != 0x81 {
        return Err(ParseError::Invalid("bvlc type"));
    }
    let length = u16::from_be_bytes([l0, l1]);
    let len = usize::from(length);
    if len < 4 {
        return Err(ParseError::Invalid("bvlc length"));
    }
    let body = data.get(4..).unwrap_or_default();
    let function = BvlcFunction(function);
    let mut b = Bvlc {
        function,
        length,
        original_address: None,
        result_code: None,
        npdu: None,
        length_mismatch: len != data.len(),
    };
    match function.0 {
        0 => {
            let mut r = Reader::new(body);
            b.result_code = Some(r.be_u16().map_err(|_| ParseError::Invalid("bvlc result"))?);
        }
        4 => {
            let mut r = Reader::new(body);
            b.original_address = Some(
                r.take(6)
                    .map_err(|_| ParseError::Invalid("bvlc forwarded address"))?,
            );
            b.npdu = Some(r.take_rest());
        }
        9..=11 => b.npdu = Some(body),
        _ => {}
    }
    Ok(b)
}

/// An NPDU header (clause 6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Npdu<'a> {
    /// Protocol version (1).
    pub version: u8,
    /// Control octet.
    pub control: u8,
    /// Destination network, length-prefixed MAC address.
    pub dnet: Option<u16>,
    /// Destination MAC address (empty for a broadcast).
    pub dadr: &'a [u8],
    /// Source network.
    pub snet: Option<u16>,
    /// Source MAC address.
    pub sadr: &'a [u8],
    /// Hop count (present with a destination).
    pub hop_count: Option<u8>,
    /// Network-layer message type (control bit 7).
    pub message_type: Option<NetworkMessage>,
    /// Vendor id of a proprietary network message (type 0x80 and above).
    pub vendor_id: Option<u16>,
    /// The APDU, or the network message's body.
    pub payload: &'a [u8],
}

impl Npdu<'_> {
    /// Whether the NSDU is a network-layer message.
    #[must_use]
    pub fn is_network_message(&self) -> bool {
        self.control & 0x80 != 0
    }
    /// Whether a reply is expected (control bit 2).
    #[must_use]
    pub fn expecting_reply(&self) -> bool {
        self.control & 0x04 != 0
    }
    /// Network priority (control bits 1-0).
    #[must_use]
    pub fn priority(&self) -> u8 {
        self.control & 3
    }
}

/// Parse an NPDU header.
///
/// # Errors
/// [`ParseError::Invalid`] when the version is not 1 or a field runs past the end.
pub fn parse_npdu(data: &[u8]) -> Result<Npdu<'_>, ParseError> {
    let e = |_| ParseError::Invalid("npdu");
    let mut r = Reader::new(data);
    let version = r.u8().map_err(e)?;
    if version != 1 {
        return Err(ParseError::Invalid("npdu version"));
    }
    let control = r.u8().map_err(e)?;
    let mut n = Npdu {
        version,
        control,
        dnet: None,
        dadr: &[],
        snet: None,
        sadr: &[],
        hop_count: None,
        message_type: None,
        vendor_id: None,
        payload: &[],
    };
    if control & 0x20 != 0 {
        n.dnet = Some(r.be_u16().map_err(e)?);
        let dlen = r.u8().map_err(e)?;
        n.dadr = r.take(usize::from(dlen)).map_err(e)?;
    }
    if control & 0x08 != 0 {
        n.snet = Some(r.be_u16().map_err(e)?);
        let slen = r.u8().map_err(e)?;
        n.sadr = r.take(usize::from(slen)).map_err(e)?;
    }
    if n.dnet.is_some() {
        n.hop_count = Some(r.u8().map_err(e)?);
    }
    if control & 0x80 != 0 {
        let t = r.u8().map_err(e)?;
        n.message_type = Some(NetworkMessage(t));
        if t >= 0x80 {
            n.vendor_id = Some(r.be_u16().map_err(e)?);
        }
    }
    n.payload = r.take_rest();
    Ok(n)
}

/// An APDU header (clause 20.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Apdu<'a> {
    /// PDU type.
    pub pdu_type: PduType,
    /// The low nibble of the first octet (SEG/MOR/SA, NAK/SRV).
    pub flags: u8,
    /// Invoke id (all types but unconfirmed requests).
    pub invoke_id: Option<u8>,
    /// Max segments accepted (confirmed request, 3-bit code).
    pub max_segments: Option<u8>,
    /// Max APDU length accepted (confirmed request, 4-bit code).
    pub max_apdu: Option<u8>,
    /// Sequence number (segmented messages, segment ack).
    pub sequence_number: Option<u8>,
    /// Proposed or actual window size.
    pub window_size: Option<u8>,
    /// Service choice (confirmed: request/acks/error; unconfirmed: the unconfirmed choice).
    pub service: Option<u8>,
    /// Reject or abort reason.
    pub reason: Option<u8>,
    /// The service data after the header.
    pub body: &'a [u8],
}

impl Apdu<'_> {
    /// Segmented message (SEG) on a confirmed request or complex ack.
    #[must_use]
    pub fn segmented(&self) -> bool {
        matches!(self.pdu_type.0, 0 | 3) && self.flags & 0x08 != 0
    }
    /// More follows (MOR).
    #[must_use]
    pub fn more_follows(&self) -> bool {
        matches!(self.pdu_type.0, 0 | 3) && self.flags & 0x04 != 0
    }
    /// Segmented response accepted (SA) on a confirmed request.
    #[must_use]
    pub fn segmented_response_accepted(&self) -> bool {
        self.pdu_type.0 == 0 && self.flags & 0x02 != 0
    }
    /// Sent by the server (SRV) on a segment ack or abort.
    #[must_use]
    pub fn server(&self) -> bool {
        matches!(self.pdu_type.0, 4 | 7) && self.flags & 0x01 != 0
    }
    /// Negative ack (NAK) on a segment ack.
    #[must_use]
    pub fn nak(&self) -> bool {
        self.pdu_type.0 == 4 && self.flags & 0x02 != 0
    }
    /// Max APDU length accepted in octets, from the 4-bit code (clause 20.1.2.5).
    #[must_use]
    pub fn max_apdu_octets(&self) -> Option<u16> {
        match self.max_apdu? {
            0 => Some(50),
            1 => Some(128),
            2 => Some(206),
            3 => Some(480),
            4 => Some(1024),
            5 => Some(1476),
            _ => None,
        }
    }
}

/// Parse an APDU header.
///
/// # Errors
/// [`ParseError::Invalid`] when the header runs past the end or the PDU type is 8 to 15.
pub fn parse_apdu(data: &[u8]) -> Result<Apdu<'_>, ParseError> {
    let e = |_| ParseError::Invalid("apdu header");
    let mut r = Reader::new(data);
    let b0 = r.u8().map_err(e)?;
    let mut a = Apdu {
        pdu_type: PduType(b0 >> 4),
        flags: b0 & 15,
        invoke_id: None,
        max_segments: None,
        max_apdu: None,
        sequence_number: None,
        window_size: None,
        service: None,
        reason: None,
        body: &[],
    };
    match b0 >> 4 {
        0 => {
            let b1 = r.u8().map_err(e)?;
            a.max_segments = Some((b1 >> 4) & 7);
            a.max_apdu = Some(b1 & 15);
            a.invoke_id = Some(r.u8().map_err(e)?);
            if b0 & 0x08 != 0 {
                a.sequence_number = Some(r.u8().map_err(e)?);
                a.window_size = Some(r.u8().map_err(e)?);
            }
            a.service = Some(r.u8().map_err(e)?);
        }
        1 => a.service = Some(r.u8().map_err(e)?),
        2 | 5 => {
            a.invoke_id = Some(r.u8().map_err(e)?);
            a.service = Some(r.u8().map_err(e)?);
        }
        3 => {
            a.invoke_id = Some(r.u8().map_err(e)?);
            if b0 & 0x08 != 0 {
                a.sequence_number = Some(r.u8().map_err(e)?);
                a.window_size = Some(r.u8().map_err(e)?);
            }
            a.service = Some(r.u8().map_err(e)?);
        }
        4 => {
            a.invoke_id = Some(r.u8().map_err(e)?);
            a.sequence_number = Some(r.u8().map_err(e)?);
            a.window_size = Some(r.u8().map_err(e)?);
        }
        6 | 7 => {
            a.invoke_id = Some(r.u8().map_err(e)?);
            a.reason = Some(r.u8().map_err(e)?);
        }
        _ => return Err(ParseError::Invalid("apdu type")),
    }
    a.body = r.take_rest();
    Ok(a)
}

// ---------------------------------------------------------------------------------------------
// Tags (clause 20.2.1)

/// What a tag is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagKind<'a> {
    /// A primitive value (for application boolean, the value is in `lvt` and `data` is empty).
    Value(&'a [u8]),
    /// An opening tag (context class only).
    Opening,
    /// A closing tag (context class only).
    Closing,
}

/// One tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag<'a> {
    /// Tag number.
    pub number: u8,
    /// Context-specific class.
    pub context: bool,
    /// The length/value/type field of the initial octet.
    pub lvt: u8,
    /// Kind and content.
    pub kind: TagKind<'a>,
}

/// A strict, bounded tag reader: lengths are checked against the input, opening/closing tags
/// must balance and nest at most [`MAX_DEPTH`] deep.
#[derive(Debug, Clone)]
pub struct TagReader<'a> {
    r: Reader<'a>,
    depth: usize,
}

impl<'a> TagReader<'a> {
    /// A reader over `data`.
    #[must_use]
    pub fn new(data: &'a [u8]) -> Self {
        TagReader {
            r: Reader::new(data),
            depth: 0,
        }
    }

    /// Whether all input was read.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.r.is_empty()
    }

    /// Current nesting depth.
    #[must_use]
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The next tag without consuming it.
    ///
    /// # Errors
    /// As [`TagReader::read`].
    pub fn peek(&self) -> Result<Option<Tag<'a>>, ParseError> {
        self.clone().read()
    }

    /// Read the next tag, or `None` at the end of input.
    ///
    /// # Errors
    /// [`ParseError::Invalid`] on a truncated tag, an application-class opening/closing tag, a
    /// closing tag without an opening one, or nesting beyond [`MAX_DEPTH`].
    pub fn read(&mut self) -> Result<Option<Tag<'a>>, ParseError> {
        let e = |_| ParseError::Invalid("bacnet tag");
        if self.r.is_empty() {
            return Ok(None);
        }
        let b = self.r.u8().map_err(e)?;
        let mut number = b >> 4;
        if number == 15 {
            number = self.r.u8().map_err(e)?;
        }
        let context = b & 0x08 != 0;
        let lvt = b & 7;
        let kind = if context && lvt == 6 {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(ParseError::Invalid("bacnet tag depth"));
            }
            TagKind::Opening
        } else if context && lvt == 7 {
            if self.depth == 0 {
                return Err(ParseError::Invalid("bacnet unbalanced closing tag"));
            }
            self.depth -= 1;
            TagKind::Closing
        } else if !context && number == 1 {
            // Application boolean: the value is the LVT itself.
            TagKind::Value(&[])
        } else {
            let len = match lvt {
                5 => match self.r.u8().map_err(e)? {
                    254 => usize::from(self.r.be_u16().map_err(e)?),
                    255 => self.r.be_u32().map_err(e)? as usize,
                    n => usize::from(n),
                },
                6 | 7 => return Err(ParseError::Invalid("bacnet application opening tag")),
                n => usize::from(n),
            };
            TagKind::Value(self.r.take(len).map_err(e)?)
        };
        Ok(Some(Tag {
            number,
            context,
            lvt,
            kind,
        }))
    }

    /// Skip the rest of the current constructed value: read until the closing tag that brings
    /// the depth back below `depth`.
    fn skip_to_depth(&mut self, depth: usize) -> Result<(), ParseError> {
        while self.depth >= depth {
            if self.read()?.is_none() {
                return Err(ParseError::Invalid("bacnet missing closing tag"));
            }
        }
        Ok(())
    }

    /// Read a context tag `n` with a primitive value, if it is next.
    fn context(&mut self, n: u8) -> Result<Option<&'a [u8]>, ParseError> {
        match self.peek()? {
            Some(Tag {
                number,
                context: true,
                kind: TagKind::Value(v),
                ..
            }) if number == n => {
                self.read()?;
                Ok(Some(v))
            }
            _ => Ok(None),
        }
    }

    /// Read an opening context tag `n`, if next.
    fn opening(&mut self, n: u8) -> Result<bool, ParseError> {
        match self.peek()? {
            Some(Tag {
                number,
                context: true,
                kind: TagKind::Opening,
                ..
            }) if number == n => {
                self.read()?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Read a closing context tag `n`, if next.
    fn closing(&mut self, n: u8) -> Result<bool, ParseError> {
        match self.peek()? {
            Some(Tag {
                number,
                context: true,
                kind: TagKind::Closing,
                ..
            }) if number == n => {
                self.read()?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Read an application tag `n` with a primitive value, if next.
    fn application(&mut self, n: u8) -> Result<Option<Tag<'a>>, ParseError> {
        match self.peek()? {
            Some(t) if !t.context && t.number == n => {
                self.read()?;
                Ok(Some(t))
            }
            _ => Ok(None),
        }
    }
}

/// An unsigned integer of 1 to 8 bytes.
fn uint(v: &[u8]) -> Result<u64, ParseError> {
    if v.is_empty() || v.len() > 8 {
        return Err(ParseError::Invalid("bacnet unsigned length"));
    }
    Ok(v.iter().fold(0u64, |a, b| (a << 8) | u64::from(*b)))
}

fn uint32(v: &[u8]) -> Result<u32, ParseError> {
    u32::try_from(uint(v)?).map_err(|_| ParseError::Invalid("bacnet unsigned range"))
}

#[allow(clippy::many_single_char_names, reason = "the four octets")]
fn object_id(v: &[u8]) -> Result<ObjectId, ParseError> {
    match v {
        [a, b, c, d] => Ok(ObjectId::from_u32(u32::from_be_bytes([*a, *b, *c, *d]))),
        _ => Err(ParseError::Invalid("bacnet object identifier length")),
    }
}

/// An application-tagged primitive value (clause 20.2.2 to 20.2.14), borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// Null.
    Null,
    /// Boolean.
    Boolean(bool),
    /// Unsigned integer.
    Unsigned(u64),
    /// Signed integer.
    Signed(i64),
    /// Single-precision real.
    Real(f32),
    /// Double-precision real.
    Double(f64),
    /// Octet string.
    OctetString(&'a [u8]),
    /// Character string: character set (0 UTF-8, 4 UCS-2, 5 ISO 8859-1...) and bytes.
    CharacterString(u8, &'a [u8]),
    /// Bit string: unused bits in the last octet, then the octets.
    BitString(u8, &'a [u8]),
    /// Enumerated.
    Enumerated(u64),
    /// Date (year-1900, month, day, weekday).
    Date([u8; 4]),
    /// Time (hour, minute, second, hundredths).
    Time([u8; 4]),
    /// Object identifier.
    ObjectIdentifier(ObjectId),
    /// A constructed value or a context-tagged value: not interpreted.
    Other,
}

impl Value<'_> {
    /// Decode a character string to text (UTF-8 and ANSI X3.4 as UTF-8, lossy; UCS-2 big
    /// endian; ISO 8859-1), at most `max` characters. `None` for other character sets.
    #[must_use]
    pub fn text(&self, max: usize) -> Option<String> {
        let Value::CharacterString(cs, b) = *self else {
            return None;
        };
        let s: String = match cs {
            0 => String::from_utf8_lossy(b).chars().take(max).collect(),
            4 => char::decode_utf16(
                b.chunks_exact(2)
                    .map(|c| u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)])),
            )
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .take(max)
            .collect(),
            5 => b.iter().map(|c| char::from(*c)).take(max).collect(),
            _ => return None,
        };
        Some(s)
    }
}

/// Decode one application-tagged primitive.
#[allow(clippy::many_single_char_names, reason = "octets of a real")]
fn app_value<'a>(t: &Tag<'a>) -> Result<Value<'a>, ParseError> {
    let TagKind::Value(v) = t.kind else {
        return Ok(Value::Other);
    };
    if t.context {
        return Ok(Value::Other);
    }
    let bad = ParseError::Invalid("bacnet value length");
    Ok(match t.number {
        0 => Value::Null,
        1 => Value::Boolean(t.lvt != 0),
        2 => Value::Unsigned(uint(v)?),
        3 => {
            if v.is_empty() || v.len() > 8 {
                return Err(bad);
            }
            let neg = v.first().is_some_and(|b| b & 0x80 != 0);
            let init: i64 = if neg { -1 } else { 0 };
            Value::Signed(v.iter().fold(init, |a, b| (a << 8) | i64::from(*b)))
        }
        4 => match v {
            [a, b, c, d] => Value::Real(f32::from_be_bytes([*a, *b, *c, *d])),
            _ => return Err(bad),
        },
        5 => match <[u8; 8]>::try_from(v) {
            Ok(a) => Value::Double(f64::from_be_bytes(a)),
            Err(_) => return Err(bad),
        },
        6 => Value::OctetString(v),
        7 => match v.split_first() {
            Some((cs, rest)) => Value::CharacterString(*cs, rest),
            None => return Err(bad),
        },
        8 => match v.split_first() {
            Some((u, rest)) => Value::BitString(*u, rest),
            None => return Err(bad),
        },
        9 => Value::Enumerated(uint(v)?),
        10 => Value::Date(<[u8; 4]>::try_from(v).map_err(|_| bad)?),
        11 => Value::Time(<[u8; 4]>::try_from(v).map_err(|_| bad)?),
        12 => Value::ObjectIdentifier(object_id(v)?),
        _ => Value::Other,
    })
}

// ---------------------------------------------------------------------------------------------
// Services

/// A property reference: object (absent in RPM entries, where the list's object applies),
/// property and optional array index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PropertyRef {
    /// The object.
    pub object: ObjectId,
    /// The property.
    pub property: PropertyId,
    /// The array index.
    pub array_index: Option<u32>,
}

/// A property reference with its value (first primitive value of the property), or its
/// error (ReadPropertyMultiple ack).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PropertyValue<'a> {
    /// Which property.
    pub reference: PropertyRef,
    /// The first primitive value, when the property value starts with one.
    pub value: Option<Value<'a>>,
    /// Number of values (elements) in the property value.
    pub value_count: usize,
    /// The access error (RPM ack).
    pub error: Option<(ErrorClass, ErrorCode)>,
}

/// A decoded service payload.
#[derive(Debug, Clone, PartialEq)]
pub enum Service<'a> {
    /// Who-Is with optional range.
    WhoIs {
        /// Low limit.
        low: Option<u32>,
        /// High limit.
        high: Option<u32>,
    },
    /// I-Am.
    IAm {
        /// The device object.
        device: ObjectId,
        /// Max APDU length accepted.
        max_apdu: u32,
        /// Segmentation supported (0 both, 1 transmit, 2 receive, 3 none).
        segmentation: u32,
        /// Vendor id.
        vendor_id: u32,
    },
    /// Who-Has.
    WhoHas {
        /// Low limit.
        low: Option<u32>,
        /// High limit.
        high: Option<u32>,
        /// The object sought by identifier.
        object: Option<ObjectId>,
        /// The object sought by name.
        name: Option<Value<'a>>,
    },
    /// I-Have.
    IHave {
        /// The device.
        device: ObjectId,
        /// The object.
        object: ObjectId,
        /// The object's name.
        name: Value<'a>,
    },
    /// ReadProperty request.
    ReadProperty(PropertyRef),
    /// ReadProperty ack.
    ReadPropertyAck(PropertyValue<'a>),
    /// ReadPropertyMultiple request: the references (at most [`MAX_ITEMS`]) and whether more
    /// were present.
    ReadPropertyMultiple(Vec<PropertyRef>, bool),
    /// ReadPropertyMultiple ack: results (at most [`MAX_ITEMS`]) and whether more were present.
    ReadPropertyMultipleAck(Vec<PropertyValue<'a>>, bool),
    /// WriteProperty request.
    WriteProperty {
        /// The property and its (first) value.
        value: PropertyValue<'a>,
        /// Priority.
        priority: Option<u32>,
    },
    /// DeviceCommunicationControl request.
    DeviceCommunicationControl {
        /// Duration in minutes.
        duration: Option<u32>,
        /// 0 enable, 1 disable, 2 disable-initiation.
        enable_disable: u32,
        /// A password was given.
        password: bool,
    },
    /// ReinitializeDevice request.
    ReinitializeDevice {
        /// The reinitialized state of the device.
        state: u32,
        /// A password was given.
        password: bool,
    },
    /// Error PDU payload.
    Error {
        /// Error class.
        class: ErrorClass,
        /// Error code.
        code: ErrorCode,
    },
    /// A service that is not decoded further.
    Other,
}

/// Name of a ReinitializeDevice state.
#[must_use]
pub fn reinitialized_state_name(v: u32) -> Option<&'static str> {
    Some(match v {
        0 => "coldstart",
        1 => "warmstart",
        2 => "start-backup",
        3 => "end-backup",
        4 => "start-restore",
        5 => "end-restore",
        6 => "abort-restore",
        7 => "activate-changes",
        _ => return None,
    })
}

/// Name of a DeviceCommunicationControl enable-disable value.
#[must_use]
pub fn enable_disable_name(v: u32) -> Option<&'static str> {
    Some(match v {
        0 => "enable",
        1 => "disable",
        2 => "disable-initiation",
        _ => return None,
    })
}

/// Name of a segmentation-supported value.
#[must_use]
pub fn segmentation_name(v: u32) -> Option<&'static str> {
    Some(match v {
        0 => "segmented-both",
        1 => "segmented-transmit",
        2 => "segmented-receive",
        3 => "no-segmentation",
        _ => return None,
    })
}

fn need<T>(v: Option<T>) -> Result<T, ParseError> {
    v.ok_or(ParseError::Invalid("bacnet missing parameter"))
}

fn ctx_u32(t: &mut TagReader<'_>, n: u8) -> Result<Option<u32>, ParseError> {
    t.context(n)?.map(uint32).transpose()
}

fn app_u32(t: &mut TagReader<'_>, n: u8) -> Result<u32, ParseError> {
    let tag = need(t.application(n)?)?;
    match tag.kind {
        TagKind::Value(v) => uint32(v),
        _ => Err(ParseError::Invalid("bacnet tag")),
    }
}

/// Read a property value enclosed in opening/closing context tag `n`: its first primitive
/// value and its element count.
fn enclosed_value<'a>(
    t: &mut TagReader<'a>,
    n: u8,
) -> Result<(Option<Value<'a>>, usize), ParseError> {
    if !t.opening(n)? {
        return Err(ParseError::Invalid("bacnet expected opening tag"));
    }
    let depth = t.depth();
    let mut first = None;
    let mut count = 0usize;
    loop {
        let tag = need(t.read()?)?;
        if t.depth() < depth {
            if tag.number != n {
                return Err(ParseError::Invalid("bacnet mismatched closing tag"));
            }
            break;
        }
        if t.depth() == depth && matches!(tag.kind, TagKind::Value(_)) {
            count += 1;
            if first.is_none() {
                first = Some(if tag.context {
                    Value::Other
                } else {
                    app_value(&tag)?
                });
            }
        } else if matches!(tag.kind, TagKind::Opening) && t.depth() == depth + 1 {
            count += 1;
            if first.is_none() {
                first = Some(Value::Other);
            }
        }
    }
    Ok((first, count))
}

fn error_pair(t: &mut TagReader<'_>) -> Result<(ErrorClass, ErrorCode), ParseError> {
    // The Error production is two application-tagged enumerations, possibly wrapped in a
    // context tag (for example [0] in errors of services with a richer error type).
    let mut vals = [0u32; 2];
    let mut i = 0;
    while i < 2 {
        let tag = need(t.read()?)?;
        if !tag.context && tag.number == 9 {
            if let TagKind::Value(v) = tag.kind {
                vals[i] = uint32(v)?;
                i += 1;
            }
        }
    }
    Ok((ErrorClass(vals[0]), ErrorCode(vals[1])))
}

/// Decode the service payload of an APDU (unsegmented, or the first segment as far as it goes
/// for nothing: segmented messages are not decoded and yield [`Service::Other`]).
///
/// # Errors
/// [`ParseError::Invalid`] when the payload does not follow the service's grammar.
#[allow(clippy::too_many_lines, reason = "one arm per service")]
pub fn decode_service<'a>(apdu: &Apdu<'a>) -> Result<Service<'a>, ParseError> {
    if apdu.segmented() {
        return Ok(Service::Other);
    }
    let mut t = TagReader::new(apdu.body);
    let svc = apdu.service.unwrap_or(0xff);
    let s = match (apdu.pdu_type.0, svc) {
        (1, 8) => Service::WhoIs {
            low: ctx_u32(&mut t, 0)?,
            high: ctx_u32(&mut t, 1)?,
        },
        (1, 0) => {
            let dev = need(t.application(12)?)?;
            let TagKind::Value(v) = dev.kind else {
                return Err(ParseError::Invalid("bacnet tag"));
            };
            Service::IAm {
                device: object_id(v)?,
                max_apdu: app_u32(&mut t, 2)?,
                segmentation: app_u32(&mut t, 9)?,
                vendor_id: app_u32(&mut t, 2)?,
            }
        }
        (1, 7) => {
            let low = ctx_u32(&mut t, 0)?;
            let high = ctx_u32(&mut t, 1)?;
            let object = t.context(2)?.map(object_id).transpose()?;
            let name = match t.context(3)? {
                Some(v) => Some(match v.split_first() {
                    Some((cs, rest)) => Value::CharacterString(*cs, rest),
                    None => return Err(ParseError::Invalid("bacnet value length")),
                }),
                None => None,
            };
            if object.is_none() && name.is_none() {
                return Err(ParseError::Invalid("bacnet who-has without object"));
            }
            Service::WhoHas {
                low,
                high,
                object,
                name,
            }
        }
        (1, 1) => {
            let mut oid = || -> Result<ObjectId, ParseError> {
                match need(t.application(12)?)?.kind {
                    TagKind::Value(v) => object_id(v),
                    _ => Err(ParseError::Invalid("bacnet tag")),
                }
            };
            let device = oid()?;
            let object = oid()?;
            let name = app_value(&need(t.application(7)?)?)?;
            Service::IHave {
                device,
                object,
                name,
            }
        }
        (0, 12) => Service::ReadProperty(prop_ref(&mut t)?),
        (3, 12) => {
            let reference = prop_ref(&mut t)?;
            let (value, value_count) = enclosed_value(&mut t, 3)?;
            Service::ReadPropertyAck(PropertyValue {
                reference,
                value,
                value_count,
                error: None,
            })
        }
        (0, 14) => {
            let mut v = Vec::new();
            let mut more = false;
            while !t.is_empty() {
                let object = object_id(need(t.context(0)?)?)?;
                if !t.opening(1)? {
                    return Err(ParseError::Invalid("bacnet expected opening tag"));
                }
                while !t.closing(1)? {
                    let property = PropertyId(need(ctx_u32(&mut t, 0)?)?);
                    let array_index = ctx_u32(&mut t, 1)?;
                    if v.len() < MAX_ITEMS {
                        v.push(PropertyRef {
                            object,
                            property,
                            array_index,
                        });
                    } else {
                        more = true;
                    }
                }
            }
            Service::ReadPropertyMultiple(v, more)
        }
        (3, 14) => {
            let mut v = Vec::new();
            let mut more = false;
            while !t.is_empty() {
                let object = object_id(need(t.context(0)?)?)?;
                if !t.opening(1)? {
                    return Err(ParseError::Invalid("bacnet expected opening tag"));
                }
                while !t.closing(1)? {
                    let property = PropertyId(need(ctx_u32(&mut t, 2)?)?);
                    let array_index = ctx_u32(&mut t, 3)?;
                    let reference = PropertyRef {
                        object,
                        property,
                        array_index,
                    };
                    let item = if matches!(
                        t.peek()?,
                        Some(Tag {
                            number: 5,
                            context: true,
                            kind: TagKind::Opening,
                            ..
                        })
                    ) {
                        t.read()?;
                        let depth = t.depth();
                        let e = error_pair(&mut t)?;
                        t.skip_to_depth(depth)?;
                        PropertyValue {
                            reference,
                            value: None,
                            value_count: 0,
                            error: Some(e),
                        }
                    } else {
                        let (value, value_count) = enclosed_value(&mut t, 4)?;
                        PropertyValue {
                            reference,
                            value,
                            value_count,
                            error: None,
                        }
                    };
                    if v.len() < MAX_ITEMS {
                        v.push(item);
                    } else {
                        more = true;
                    }
                }
            }
            Service::ReadPropertyMultipleAck(v, more)
        }
        (0, 15) => {
            let reference = prop_ref(&mut t)?;
            let (value, value_count) = enclosed_value(&mut t, 3)?;
            let priority = ctx_u32(&mut t, 4)?;
            Service::WriteProperty {
                value: PropertyValue {
                    reference,
                    value,
                    value_count,
                    error: None,
                },
                priority,
            }
        }
        (0, 17) => Service::DeviceCommunicationControl {
            duration: ctx_u32(&mut t, 0)?,
            enable_disable: need(ctx_u32(&mut t, 1)?)?,
            password: t.context(2)?.is_some(),
        },
        (0, 20) => Service::ReinitializeDevice {
            state: need(ctx_u32(&mut t, 0)?)?,
            password: t.context(1)?.is_some(),
        },
        (5, _) => {
            let (class, code) = error_pair(&mut t)?;
            Service::Error { class, code }
        }
        _ => Service::Other,
    };
    Ok(s)
}

fn prop_ref(t: &mut TagReader<'_>) -> Result<PropertyRef, ParseError> {
    let object = object_id(need(t.context(0)?)?)?;
    let property = PropertyId(need(ctx_u32(t, 1)?)?);
    let array_index = ctx_u32(t, 2)?;
    Ok(PropertyRef {
        object,
        property,
        array_index,
    })
}

/// Port-independent detection on one datagram: a BVLC header of type `0x81` with a known
/// function and a length equal to the datagram's, and for NPDU-carrying functions an NPDU of
/// version 1 whose APDU (when not a network message) has a valid PDU type.
#[must_use]
pub fn probe(data: &[u8]) -> Probe {
    let Ok(b) = parse_bvlc(data) else {
        return Probe::No;
    };
    if b.function.name().is_none() || b.length_mismatch {
        return Probe::No;
    }
    if let Some(npdu) = b.npdu {
        let Ok(n) = parse_npdu(npdu) else {
            return Probe::No;
        };
        if !n.is_network_message() && parse_apdu(n.payload).is_err() {
            return Probe::No;
        }
    }
    Probe::Yes
}
