//! The platform's replies to a terminal, as complete frames.

use crate::error::Result;
use crate::header::{Header, encode};
use crate::message::{Message, Response, ids};

/// Result of a platform general response (`0x8001`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PlatformResult {
    /// 0: success / confirmed.
    Ok = 0,
    /// 1: failure.
    Failure = 1,
    /// 2: wrong message.
    BadMessage = 2,
    /// 3: not supported.
    Unsupported = 3,
    /// 4: alarm handling confirmed.
    AlarmConfirmed = 4,
}

/// Result of a registration response (`0x8100`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RegisterResult {
    /// 0: registered; the reply carries an authentication code.
    Ok = 0,
    /// 1: the vehicle is already registered.
    VehicleRegistered = 1,
    /// 2: no such vehicle in the database.
    NoSuchVehicle = 2,
    /// 3: the terminal is already registered.
    TerminalRegistered = 3,
    /// 4: no such terminal in the database.
    NoSuchTerminal = 4,
}

/// A platform general response (`0x8001`) to the message with header
/// `request`: same edition and phone number, the platform's own `serial`.
pub fn encode_8001(request: &Header, serial: u16, result: PlatformResult) -> Result<Vec<u8>> {
    let body = Message::PlatformResponse(Response {
        reply_serial: request.serial,
        reply_id: request.msg_id,
        result: result as u8,
    })
    .encode_body()?;
    encode(&request.reply(ids::PLATFORM_RESPONSE, serial), &body)
}

/// A registration response (`0x8100`) to the registration with header
/// `request`: same edition and phone number, the platform's own `serial`;
/// `auth_code` is sent only when `result` is [`RegisterResult::Ok`].
pub fn encode_8100(
    request: &Header,
    serial: u16,
    result: RegisterResult,
    auth_code: &[u8],
) -> Result<Vec<u8>> {
    let body = Message::RegisterResponse {
        reply_serial: request.serial,
        result: result as u8,
        auth_code: auth_code.to_vec(),
    }
    .encode_body()?;
    encode(&request.reply(ids::REGISTER_RESPONSE, serial), &body)
}
