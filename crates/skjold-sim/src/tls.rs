//! TLS material of the fleet: one CA per fleet and, per HTTPS device, an ECDSA P-256 leaf of
//! the chosen [`CertKind`] (valid, self-signed, expired, hostname mismatch), served by rustls
//! (TLS 1.2 and 1.3).

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use rcgen::{
    date_time_ymd, BasicConstraints, Certificate, CertificateParams, DnType, IsCa, KeyPair, SanType,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::ServerConfig;

use crate::spec::CertKind;
use crate::SimError;

/// The fleet's certificate authority.
pub(crate) struct Ca {
    cert: Certificate,
    key: KeyPair,
}

fn err(e: impl std::fmt::Display) -> SimError {
    SimError::Tls(e.to_string())
}

impl Ca {
    pub(crate) fn new() -> Result<Self, SimError> {
        let key = KeyPair::generate().map_err(err)?;
        let mut p = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
        p.distinguished_name
            .push(DnType::CommonName, "Skjold Sim Fleet CA");
        p.distinguished_name
            .push(DnType::OrganizationName, "Skjold Sim");
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.not_before = date_time_ymd(2024, 1, 1);
        p.not_after = date_time_ymd(2049, 12, 31);
        let cert = p.self_signed(&key).map_err(err)?;
        Ok(Ca { cert, key })
    }

    /// The CA certificate in PEM.
    pub(crate) fn pem(&self) -> String {
        self.cert.pem()
    }

    /// The CA certificate in DER.
    pub(crate) fn der(&self) -> Vec<u8> {
        self.cert.der().to_vec()
    }

    /// A rustls server configuration for a device at `addr` named `host`.
    pub(crate) fn server_config(
        &self,
        kind: CertKind,
        addr: Ipv4Addr,
        host: &str,
        org: &str,
    ) -> Result<Arc<ServerConfig>, SimError> {
        let key = KeyPair::generate().map_err(err)?;
        let names: Vec<String> = if kind == CertKind::HostnameMismatch {
            vec!["other-host.invalid".into()]
        } else {
            vec![host.to_string()]
        };
        let mut p = CertificateParams::new(names.clone()).map_err(err)?;
        if kind != CertKind::HostnameMismatch {
            p.subject_alt_names
                .push(SanType::IpAddress(IpAddr::V4(addr)));
        }
        p.distinguished_name
            .push(DnType::CommonName, names[0].clone());
        p.distinguished_name.push(DnType::OrganizationName, org);
        if kind == CertKind::Expired {
            p.not_before = date_time_ymd(2020, 1, 1);
            p.not_after = date_time_ymd(2021, 1, 1);
        } else {
            p.not_before = date_time_ymd(2024, 1, 1);
            p.not_after = date_time_ymd(2049, 12, 31);
        }
        let (leaf, chain_ca) = if kind == CertKind::SelfSigned {
            (p.self_signed(&key).map_err(err)?, false)
        } else {
            (p.signed_by(&key, &self.cert, &self.key).map_err(err)?, true)
        };
        let mut chain: Vec<CertificateDer<'static>> = vec![leaf.der().clone()];
        if chain_ca {
            chain.push(self.cert.der().clone());
        }
        let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let cfg = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(err)?
            .with_no_client_auth()
            .with_single_cert(chain, der)
            .map_err(err)?;
        Ok(Arc::new(cfg))
    }
}
