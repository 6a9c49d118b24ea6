//! `coastwatch jt808 decode`: JT/T 808 frames (one hex frame per line) to NDJSON.

use std::io::{BufRead, Write};
use std::path::Path;

use coastwatch_jt808::{
    Extra, Header, Location, Message, Version, decode_message, decode_packet, unescape,
};
use serde_json::{Map, Value, json};

use super::{CliError, CliResult};

/// Decodes `file` (or standard input for `-`): one frame per line in hex, with or without
/// its `7e` delimiters and spaces; one JSON object per message out, bad frames to stderr
/// with their line numbers. Exits 2 with `strict` when any frame is bad.
pub fn decode(file: &Path, strict: bool) -> CliResult {
    let input: Box<dyn BufRead> = if file == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        let opened = std::fs::File::open(file)
            .map_err(|e| CliError::input(format!("cannot read {}: {e}", file.display())))?;
        Box::new(std::io::BufReader::new(opened))
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let (mut frames, mut bad) = (0u64, 0u64);
    for (index, line) in input.lines().enumerate() {
        let line = line.map_err(|e| CliError::input(format!("line {}: {e}", index + 1)))?;
        let text: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        if text.is_empty() {
            continue;
        }
        frames += 1;
        match frame_json(&text) {
            Ok(object) => {
                let written = serde_json::to_writer(&mut out, &object)
                    .map_err(std::io::Error::from)
                    .and_then(|()| out.write_all(b"\n"));
                match written {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
                    Err(e) => return Err(e.into()),
                }
            }
            Err(error) => {
                bad += 1;
                eprintln!("line {}: {error}", index + 1);
            }
        }
    }
    out.flush().ok();
    eprintln!("{frames} frames, {} decoded, {bad} bad", frames - bad);
    if strict && bad > 0 {
        return Err(CliError::input(format!(
            "{bad} bad frames in {} (--strict)",
            file.display()
        )));
    }
    Ok(())
}

/// One frame in hex as its JSON object.
fn frame_json(hex: &str) -> Result<Value, String> {
    let bytes = from_hex(hex)?;
    let inner = match bytes.as_slice() {
        [0x7e, inner @ .., 0x7e] => inner,
        inner => inner,
    };
    let frame = unescape(inner).map_err(|e| e.to_string())?;
    let packet = decode_packet(&frame).map_err(|e| e.to_string())?;
    let header = &packet.header;
    let mut object = header_json(header);
    if header.package.is_some() {
        // one package of a split message: its body alone means nothing
        object.insert("body_hex".into(), Value::from(to_hex(&packet.body)));
        return Ok(Value::Object(object));
    }
    let message = decode_message(header, &packet.body).map_err(|e| e.to_string())?;
    object.extend(message_json(&message));
    Ok(Value::Object(object))
}

fn header_json(header: &Header) -> Map<String, Value> {
    let mut object = Map::new();
    object.insert(
        "msg_id".into(),
        Value::from(format!("0x{:04x}", header.msg_id)),
    );
    object.insert("phone".into(), Value::from(header.phone_normalised()));
    object.insert("serial".into(), Value::from(header.serial));
    object.insert(
        "version".into(),
        Value::from(match header.version {
            Version::V2013 => "2013".to_owned(),
            Version::V2019 { protocol } => format!("2019/{protocol}"),
        }),
    );
    if let Some(package) = header.package {
        object.insert(
            "package".into(),
            json!({"index": package.index, "total": package.total}),
        );
    }
    object
}

fn message_json(message: &Message) -> Map<String, Value> {
    let value = match message {
        Message::Location(location) => location_json(location),
        Message::LocationBatch { kind, items } => json!({
            "batch": format!("{kind:?}").to_lowercase(),
            "locations": items.iter().map(location_json).collect::<Vec<_>>(),
        }),
        Message::Register(r) => json!({
            "province": r.province,
            "city": r.city,
            "manufacturer": r.manufacturer_text(),
            "model": r.model_text(),
            "terminal_id": r.terminal_id_text(),
            "plate_colour": r.plate_colour,
            "plate": r.plate_text(),
        }),
        Message::Authenticate(a) => {
            json!({"auth_code": String::from_utf8_lossy(&a.auth_code).trim_end_matches('\0')})
        }
        Message::GeneralResponse(r) | Message::PlatformResponse(r) => json!({
            "reply_serial": r.reply_serial,
            "reply_id": format!("0x{:04x}", r.reply_id),
            "result": r.result,
        }),
        Message::RegisterResponse {
            reply_serial,
            result,
            auth_code,
        } => json!({
            "reply_serial": reply_serial,
            "result": result,
            "auth_code": String::from_utf8_lossy(auth_code),
        }),
        Message::Other { body, .. } => json!({"body_hex": to_hex(body)}),
        Message::Heartbeat | Message::Logout => json!({}),
    };
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// A location's fields; the time in RFC 3339 at the terminal's own offset (GMT+8).
fn location_json(l: &Location) -> Value {
    let time = l.t_epoch_s.and_then(|t| {
        let ts = jiff::Timestamp::from_second(t).ok()?;
        let offset = jiff::tz::Offset::constant(8);
        Some(
            ts.to_zoned(jiff::tz::TimeZone::fixed(offset))
                .strftime("%Y-%m-%dT%H:%M:%S%:z")
                .to_string(),
        )
    });
    let extras: Map<String, Value> = l.extras.iter().map(extra_json).collect();
    json!({
        "lat": l.lat,
        "lon": l.lon,
        "alt_m": l.altitude_m,
        "speed_kmh": l.speed_kmh,
        "course": l.direction_deg,
        "time": time,
        "positioned": l.positioned(),
        "alarm": l.alarms().map(|a| a.name()).collect::<Vec<_>>(),
        "status": l.status,
        "extras": extras,
    })
}

fn extra_json(extra: &Extra) -> (String, Value) {
    let (name, value) = match extra {
        Extra::MileageKm(v) => ("mileage_km", json!(v)),
        Extra::FuelL(v) => ("fuel_l", json!(v)),
        Extra::RecorderSpeedKmh(v) => ("recorder_speed_kmh", json!(v)),
        Extra::ManualAlarmEvent(v) => ("manual_alarm_event", json!(v)),
        Extra::TyrePressure(v) => ("tyre_pressure_hex", json!(to_hex(v))),
        Extra::CarriageTemperatureC(v) => ("carriage_temperature_c", json!(v)),
        Extra::Overspeed { kind, area_id } => {
            ("overspeed", json!({"kind": kind, "area_id": area_id}))
        }
        Extra::AreaRoute {
            kind,
            id,
            direction,
        } => (
            "area_route",
            json!({"kind": kind, "id": id, "direction": direction}),
        ),
        Extra::RoadSectionTime {
            id,
            seconds,
            result,
        } => (
            "road_section_time",
            json!({"id": id, "seconds": seconds, "result": result}),
        ),
        Extra::VehicleSignals(v) => ("vehicle_signals", json!(v)),
        Extra::IoStatus(v) => ("io_status", json!(v)),
        Extra::Analog(v) => ("analog", json!(v)),
        Extra::SignalStrength(v) => ("signal_strength", json!(v)),
        Extra::Satellites(v) => ("satellites", json!(v)),
        Extra::Raw { id, value } => return (format!("0x{id:02x}"), json!(to_hex(value))),
    };
    (name.to_owned(), value)
}

fn from_hex(text: &str) -> Result<Vec<u8>, String> {
    if !text.len().is_multiple_of(2) {
        return Err(format!("{} hex digits: not whole bytes", text.len()));
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| format!("{:?} at {i} is not hex", text.get(i..i + 2).unwrap_or("")))
        })
        .collect()
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
