//! A JT/T 808 terminal's side of the protocol, written from the standard for the tests and
//! the bench (not the server's codec): message frames, BCD numbers and times, location and
//! registration bodies, and the authentication code the platform owes a terminal.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The authentication code the platform owes terminal `phone`: the first 8 bytes of
/// HMAC-SHA256(`secret`, phone digits) in hex.
pub fn auth_code(secret: &str, phone: &str) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(phone.trim_start_matches('0').as_bytes());
    let digest = mac.finalize().into_bytes();
    digest[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
        .into_bytes()
}

/// `digits` as packed BCD, left-padded with zeros to `bytes`.
pub fn bcd(digits: &str, bytes: usize) -> Vec<u8> {
    let padded = format!("{digits:0>width$}", width = bytes * 2);
    padded
        .as_bytes()
        .chunks(2)
        .map(|p| ((p[0] - b'0') << 4) | (p[1] - b'0'))
        .collect()
}

/// One whole message on the wire: header, body, XOR check code, escapes, delimiters.
pub fn wire(msg_id: u16, v2019: bool, phone: &[u8], serial: u16, body: &[u8]) -> Vec<u8> {
    frame(msg_id, v2019, phone, serial, None, body)
}

/// A message split into `parts` sub-packages (2013 edition), the first with serial `serial`
/// and each next one the serial after.
pub fn packages(msg_id: u16, phone: &[u8], serial: u16, body: &[u8], parts: u16) -> Vec<Vec<u8>> {
    let size = body.len().div_ceil(usize::from(parts));
    body.chunks(size)
        .zip(1..)
        .map(|(chunk, index)| {
            frame(
                msg_id,
                false,
                phone,
                serial + index - 1,
                Some((parts, index)),
                chunk,
            )
        })
        .collect()
}

/// A frame of package `package` (count, index from 1), or of a whole message.
fn frame(
    msg_id: u16,
    v2019: bool,
    phone: &[u8],
    serial: u16,
    package: Option<(u16, u16)>,
    body: &[u8],
) -> Vec<u8> {
    let mut raw = msg_id.to_be_bytes().to_vec();
    let mut props = body.len() as u16;
    if v2019 {
        props |= 1 << 14;
    }
    if package.is_some() {
        props |= 1 << 13;
    }
    raw.extend(props.to_be_bytes());
    if v2019 {
        raw.push(1);
    }
    raw.extend(phone);
    raw.extend(serial.to_be_bytes());
    if let Some((count, index)) = package {
        raw.extend(count.to_be_bytes());
        raw.extend(index.to_be_bytes());
    }
    raw.extend(body);
    raw.push(raw.iter().fold(0, |a, b| a ^ b));
    let mut out = vec![0x7e];
    for b in raw {
        match b {
            0x7e => out.extend([0x7d, 0x02]),
            0x7d => out.extend([0x7d, 0x01]),
            b => out.push(b),
        }
    }
    out.push(0x7e);
    out
}

/// `t` (epoch s) as the terminal's BCD time in GMT+8.
pub fn bcd_time(t: i64) -> Vec<u8> {
    let offset = jiff::tz::TimeZone::fixed(jiff::tz::Offset::constant(8));
    let local = jiff::Timestamp::from_second(t)
        .expect("a time jiff can hold")
        .to_zoned(offset);
    bcd(&local.strftime("%y%m%d%H%M%S").to_string(), 6)
}

/// A `0x0200` body: alarm and status words, position, speed (km/h), the time, mileage.
pub fn location_body(alarm: u32, positioned: bool, lonlat: [f64; 2], kmh: f64, t: i64) -> Vec<u8> {
    let status: u32 = 0b01 | if positioned { 0b10 } else { 0 };
    let mut body = alarm.to_be_bytes().to_vec();
    body.extend(status.to_be_bytes());
    let (lat, lon) = if positioned {
        (
            (lonlat[1] * 1e6).round() as u32,
            (lonlat[0] * 1e6).round() as u32,
        )
    } else {
        (0, 0)
    };
    body.extend(lat.to_be_bytes());
    body.extend(lon.to_be_bytes());
    body.extend(12u16.to_be_bytes());
    body.extend(((kmh * 10.0).round() as u16).to_be_bytes());
    body.extend(90u16.to_be_bytes());
    body.extend(bcd_time(t));
    body.extend([0x01, 4, 0, 0, 0x30, 0x39]); // mileage 1234.5 km
    body
}

/// A `0x0100` body of the 2013 form (or the 2019 one with `v2019`), plate 浙B12345.
pub fn registration_body(v2019: bool) -> Vec<u8> {
    let mut body = vec![0x00, 0x21, 0x00, 0x01]; // province 33 (Zhejiang), city 1
    let (maker, model, id) = if v2019 { (11, 30, 30) } else { (5, 20, 7) };
    body.extend(pad(b"CWTST", maker));
    body.extend(pad(b"CW-808", model));
    body.extend(pad(b"T000001", id));
    body.push(2); // yellow plate
    body.extend([0xd5, 0xe3]); // 浙 in GBK
    body.extend(b"B12345");
    body
}

/// `text` padded with NULs to `len` bytes.
pub fn pad(text: &[u8], len: usize) -> Vec<u8> {
    let mut out = text.to_vec();
    out.resize(len, 0);
    out
}
