//! Telnet (RFC 854 commands, RFC 855 option negotiation; option codes from the IANA Telnet
//! Options registry): the stream is split into data runs, `IAC` commands, option
//! negotiations (`IAC WILL/WONT/DO/DONT opt`) and sub-negotiations (`IAC SB opt ... IAC SE`).

use crate::{ParseError, Probe};

/// Interpret As Command.
pub const IAC: u8 = 255;
/// Longest sub-negotiation read whole; longer ones are skipped with `TooLarge`.
pub const MAX_SUBNEGOTIATION: usize = 1024;

/// A Telnet command byte (after `IAC`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Command(pub u8);

impl Command {
    /// End of sub-negotiation.
    pub const SE: Command = Command(240);
    /// Sub-negotiation begin.
    pub const SB: Command = Command(250);
    /// Sender wants to enable an option on its side.
    pub const WILL: Command = Command(251);
    /// Sender refuses to enable an option on its side.
    pub const WONT: Command = Command(252);
    /// Sender asks the peer to enable an option.
    pub const DO: Command = Command(253);
    /// Sender asks the peer to disable an option.
    pub const DONT: Command = Command(254);

    /// Command name (RFC 854), `unknown` below 240.
    pub fn name(self) -> &'static str {
        match self.0 {
            240 => "SE",
            241 => "NOP",
            242 => "DM",
            243 => "BRK",
            244 => "IP",
            245 => "AO",
            246 => "AYT",
            247 => "EC",
            248 => "EL",
            249 => "GA",
            250 => "SB",
            251 => "WILL",
            252 => "WONT",
            253 => "DO",
            254 => "DONT",
            255 => "IAC",
            _ => "unknown",
        }
    }

    /// `true` for WILL, WONT, DO and DONT.
    pub fn is_negotiation(self) -> bool {
        (251..=254).contains(&self.0)
    }
}

/// A Telnet option code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TelnetOption(pub u8);

impl TelnetOption {
    /// Option name (IANA registry), `unknown` for others.
    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "binary",
            1 => "echo",
            3 => "suppress_go_ahead",
            5 => "status",
            6 => "timing_mark",
            24 => "terminal_type",
            31 => "window_size",
            32 => "terminal_speed",
            33 => "remote_flow_control",
            34 => "linemode",
            35 => "x_display_location",
            36 => "environment",
            37 => "authentication",
            38 => "encryption",
            39 => "new_environment",
            46 => "start_tls",
            _ => "unknown",
        }
    }
}

/// One unit of the Telnet stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token<'a> {
    /// A run of data bytes (no `IAC`; an escaped `IAC IAC` is one data byte 255 returned alone).
    Data(&'a [u8]),
    /// `IAC WILL/WONT/DO/DONT option`.
    Negotiation(Command, TelnetOption),
    /// `IAC SB option data IAC SE` (data still holds doubled `IAC`s).
    Subnegotiation(TelnetOption, &'a [u8]),
    /// Any other `IAC` command.
    Command(Command),
}

/// Read one token from the front of `input`.
pub fn next_token(input: &[u8]) -> Result<(&[u8], Token<'_>), ParseError> {
    match input {
        [] | [IAC] => Err(ParseError::Incomplete(1)),
        [IAC, IAC, rest @ ..] => Ok((rest, Token::Data(&input[1..2]))),
        [IAC, c, rest @ ..] if (251..=254).contains(c) => match rest {
            [o, rest @ ..] => Ok((rest, Token::Negotiation(Command(*c), TelnetOption(*o)))),
            [] => Err(ParseError::Incomplete(1)),
        },
        [IAC, 250, rest @ ..] => {
            let Some((&opt, body)) = rest.split_first() else {
                return Err(ParseError::Incomplete(1));
            };
            let window = &body[..body.len().min(MAX_SUBNEGOTIATION)];
            let end = window.windows(2).position(|w| w == [IAC, 240]);
            match end {
                Some(e) => Ok((
                    &body[e + 2..],
                    Token::Subnegotiation(TelnetOption(opt), &body[..e]),
                )),
                None if body.len() >= MAX_SUBNEGOTIATION => Err(ParseError::TooLarge {
                    len: body.len() + 3,
                    limit: MAX_SUBNEGOTIATION,
                }),
                None => Err(ParseError::Incomplete(2)),
            }
        }
        [IAC, c, rest @ ..] => Ok((rest, Token::Command(Command(*c)))),
        _ => {
            let n = input.iter().position(|&b| b == IAC).unwrap_or(input.len());
            Ok((&input[n..], Token::Data(&input[..n])))
        }
    }
}

/// Detection without a port: two option negotiations in a row (`IAC DO/WILL.. opt` twice),
/// with options in the IANA range 0-49 or 255 (extended options list).
pub fn probe(data: &[u8]) -> Probe {
    for i in 0..6 {
        let Some(&b) = data.get(i) else {
            return Probe::NeedMore;
        };
        let ok = match i % 3 {
            0 => b == IAC,
            1 => (251..=254).contains(&b),
            _ => b < 50 || b == 255,
        };
        if !ok {
            return Probe::No;
        }
    }
    Probe::Yes
}

/// Whether a data run from the server looks like a login or password prompt
/// (`login:`, `username:`, `password:`, case-insensitive, at the end of the text).
pub fn prompt_kind(text: &[u8]) -> Option<Prompt> {
    let t: Vec<u8> = text
        .iter()
        .rev()
        .skip_while(|b| b.is_ascii_whitespace())
        .take(16)
        .map(u8::to_ascii_lowercase)
        .collect::<Vec<u8>>()
        .into_iter()
        .rev()
        .collect();
    if t.ends_with(b"password:") || t.ends_with(b"passcode:") {
        Some(Prompt::Password)
    } else if t.ends_with(b"login:") || t.ends_with(b"username:") || t.ends_with(b"user:") {
        Some(Prompt::Login)
    } else {
        None
    }
}

/// A prompt a Telnet server printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prompt {
    /// `login:` / `username:`.
    Login,
    /// `password:`.
    Password,
}
