//! Terminal registration (`0x0100`) and authentication (`0x0102`).

use crate::bytes::{Reader, fixed};
use crate::error::{Error, Result};
use crate::header::Version;
use crate::text::decode_text;

/// Which layout a registration body has; the `BYTE[n]` fields grew over the
/// editions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegistrationForm {
    /// JT/T 808-2011: model `BYTE[8]`.
    V2011,
    /// JT/T 808-2013: manufacturer `BYTE[5]`, model `BYTE[20]`, terminal id
    /// `BYTE[7]`.
    V2013,
    /// JT/T 808-2019: manufacturer `BYTE[11]`, model `BYTE[30]`, terminal id
    /// `BYTE[30]`.
    V2019,
}

impl RegistrationForm {
    /// Lengths of the manufacturer id, terminal model and terminal id.
    pub fn field_lens(self) -> (usize, usize, usize) {
        match self {
            Self::V2011 => (5, 8, 7),
            Self::V2013 => (5, 20, 7),
            Self::V2019 => (11, 30, 30),
        }
    }

    /// Length of the body before the plate.
    pub fn fixed_len(self) -> usize {
        let (m, t, i) = self.field_lens();
        2 + 2 + m + t + i + 1
    }

    /// The layout of a registration body of `body_len` bytes in a header of
    /// edition `version`: 2019 headers carry the 2019 form; in older ones a
    /// body too short for the 2013 fields is taken as the 2011 form.
    pub fn detect(version: Version, body_len: usize) -> Self {
        match version {
            Version::V2019 { .. } => Self::V2019,
            Version::V2013 if body_len >= Self::V2013.fixed_len() => Self::V2013,
            Version::V2013 => Self::V2011,
        }
    }
}

/// A terminal registration (`0x0100`).
///
/// The `BYTE[n]` fields are kept as sent, padding included; the `*_text`
/// methods give them as text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Registration {
    /// Body layout.
    pub form: RegistrationForm,
    /// Province id (GB/T 2260, first two digits).
    pub province: u16,
    /// City or county id (GB/T 2260, last four digits).
    pub city: u16,
    /// Manufacturer id.
    pub manufacturer: Vec<u8>,
    /// Terminal model.
    pub model: Vec<u8>,
    /// Terminal id.
    pub terminal_id: Vec<u8>,
    /// Plate colour (JT/T 697.7; 0 = no plate in 2019).
    pub plate_colour: u8,
    /// Plate (or VIN when there is no plate), GBK, as sent.
    pub plate: Vec<u8>,
}

impl Registration {
    /// Decodes a `0x0100` body of the given layout.
    pub fn decode(form: RegistrationForm, body: &[u8]) -> Result<Self> {
        let (m, t, i) = form.field_lens();
        let mut r = Reader::new(body);
        Ok(Self {
            form,
            province: r.u16("province id")?,
            city: r.u16("city id")?,
            manufacturer: r.take(m, "manufacturer id")?.to_vec(),
            model: r.take(t, "terminal model")?.to_vec(),
            terminal_id: r.take(i, "terminal id")?.to_vec(),
            plate_colour: r.u8("plate colour")?,
            plate: r.rest().to_vec(),
        })
    }

    /// Appends the body; shorter `BYTE[n]` fields are padded with `0x00`,
    /// longer ones are an error.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<()> {
        let (m, t, i) = self.form.field_lens();
        out.extend_from_slice(&self.province.to_be_bytes());
        out.extend_from_slice(&self.city.to_be_bytes());
        fixed(out, &self.manufacturer, m, "manufacturer id")?;
        fixed(out, &self.model, t, "terminal model")?;
        fixed(out, &self.terminal_id, i, "terminal id")?;
        out.push(self.plate_colour);
        out.extend_from_slice(&self.plate);
        Ok(())
    }

    /// The plate as text: ASCII, the province and special-use characters,
    /// U+FFFD for any other GBK character (see [`decode_text`]).
    pub fn plate_text(&self) -> String {
        decode_text(&self.plate)
    }

    /// The manufacturer id as text, without padding.
    pub fn manufacturer_text(&self) -> String {
        trim_text(&self.manufacturer)
    }

    /// The terminal model as text, without padding.
    pub fn model_text(&self) -> String {
        trim_text(&self.model)
    }

    /// The terminal id as text, without padding.
    pub fn terminal_id_text(&self) -> String {
        trim_text(&self.terminal_id)
    }
}

/// A `BYTE[n]` field as text, without its `0x00` padding and surrounding
/// spaces.
fn trim_text(bytes: &[u8]) -> String {
    decode_text(bytes).trim().to_owned()
}

/// The 2019 fields of an authentication.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AuthDetails {
    /// Terminal IMEI, `BYTE[15]`.
    pub imei: [u8; 15],
    /// Software version, `BYTE[20]`, padded with `0x00`.
    pub software_version: [u8; 20],
}

/// A terminal authentication (`0x0102`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Authentication {
    /// The authentication code the platform gave in its `0x8100` reply.
    pub auth_code: Vec<u8>,
    /// IMEI and software version: present in the 2019 form only.
    pub details: Option<AuthDetails>,
}

impl Authentication {
    /// Decodes a `0x0102` body: the 2019 form (code length BYTE, code,
    /// IMEI, software version) in a 2019 header, else the whole body as
    /// the code.
    pub fn decode(version: Version, body: &[u8]) -> Result<Self> {
        if version == Version::V2013 {
            return Ok(Self {
                auth_code: body.to_vec(),
                details: None,
            });
        }
        let mut r = Reader::new(body);
        let len = r.u8("auth code length")?;
        let auth_code = r.take(usize::from(len), "auth code")?.to_vec();
        let details = AuthDetails {
            imei: r.array("IMEI")?,
            software_version: r.array("software version")?,
        };
        Ok(Self {
            auth_code,
            details: Some(details),
        })
    }

    /// Appends the body, in the 2019 form when `details` is present.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<()> {
        let Some(details) = &self.details else {
            out.extend_from_slice(&self.auth_code);
            return Ok(());
        };
        let len = u8::try_from(self.auth_code.len()).map_err(|_| Error::BadField {
            field: "auth code length",
        })?;
        out.push(len);
        out.extend_from_slice(&self.auth_code);
        out.extend_from_slice(&details.imei);
        out.extend_from_slice(&details.software_version);
        Ok(())
    }

    /// The code as text.
    pub fn auth_code_text(&self) -> String {
        decode_text(&self.auth_code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_by_edition_and_length() {
        assert_eq!(RegistrationForm::V2011.fixed_len(), 25);
        assert_eq!(RegistrationForm::V2013.fixed_len(), 37);
        assert_eq!(RegistrationForm::V2019.fixed_len(), 76);
        let v19 = Version::V2019 { protocol: 1 };
        assert_eq!(RegistrationForm::detect(v19, 0), RegistrationForm::V2019);
        assert_eq!(
            RegistrationForm::detect(Version::V2013, 45),
            RegistrationForm::V2013
        );
        assert_eq!(
            RegistrationForm::detect(Version::V2013, 33),
            RegistrationForm::V2011
        );
    }

    #[test]
    fn encoder_pads_and_refuses() {
        let mut reg = Registration {
            form: RegistrationForm::V2013,
            province: 44,
            city: 300,
            manufacturer: b"ABC".to_vec(),
            model: Vec::new(),
            terminal_id: b"1".to_vec(),
            plate_colour: 1,
            plate: b"X".to_vec(),
        };
        let mut out = Vec::new();
        reg.encode_into(&mut out).unwrap();
        assert_eq!(out.len(), 38);
        let back = Registration::decode(RegistrationForm::V2013, &out).unwrap();
        assert_eq!(back.manufacturer_text(), "ABC");
        assert_eq!(back.manufacturer, b"ABC\0\0");
        reg.terminal_id = b"12345678".to_vec();
        assert!(reg.encode_into(&mut out).is_err());
    }
}
