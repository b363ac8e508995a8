//! Certificates and the TLS connection check, against real files, real `openssl` (when
//! installed) and a real rustls server on loopback. Test names live in `cert_suite` so that
//! `cargo test -p libmachine cert` selects them.

mod cert_suite {
    use libmachine::cert::{self, CertError, CertKind, CertOptions, PemKind, Validity};
    use libmachine::options::AuthOptions;
    use libmachine::tlsconfig;
    use libmachine::Store;
    use rustls::server::WebPkiClientVerifier;
    use rustls::{RootCertStore, ServerConfig, ServerConnection};
    use std::fs;
    use std::net::{IpAddr, SocketAddr, TcpListener};
    use std::path::{Path, PathBuf};
    use std::process::Command;
    use std::sync::Arc;
    use std::time::Duration;
    use time::OffsetDateTime;

    const CHILD_ENV: &str = "LIBMACHINE_CERT_TEST_CHILD_STORE";

    fn have_openssl() -> bool {
        let ok = Command::new("openssl")
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            testkit::skip("no openssl binary");
        }
        ok
    }

    fn openssl(args: &[&str]) -> (bool, String) {
        let out = Command::new("openssl").args(args).output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }

    fn verify(ca: &Path, purpose: &str, cert: &Path) -> (bool, String) {
        openssl(&[
            "verify",
            "-CAfile",
            ca.to_str().unwrap(),
            "-purpose",
            purpose,
            cert.to_str().unwrap(),
        ])
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    struct Pki {
        dir: PathBuf,
        ca: PathBuf,
        ca_key: PathBuf,
        client: PathBuf,
        client_key: PathBuf,
    }

    impl Pki {
        fn new(dir: &Path, org: &str) -> Pki {
            let pki = Pki {
                dir: dir.to_path_buf(),
                ca: dir.join("ca.pem"),
                ca_key: dir.join("ca-key.pem"),
                client: dir.join("cert.pem"),
                client_key: dir.join("key.pem"),
            };
            cert::generate_ca(&pki.ca, &pki.ca_key, org).unwrap();
            cert::generate_cert(&CertOptions {
                kind: CertKind::Client,
                cert_file: pki.client.clone(),
                key_file: pki.client_key.clone(),
                ca_file: pki.ca.clone(),
                ca_key_file: pki.ca_key.clone(),
                org: format!("{org}.<bootstrap>"),
                ..Default::default()
            })
            .unwrap();
            pki
        }

        fn server(&self, name: &str, hosts: &[&str], swarm_master: bool) -> (PathBuf, PathBuf) {
            let cert_file = self.dir.join(format!("{name}.pem"));
            let key_file = self.dir.join(format!("{name}-key.pem"));
            cert::generate_cert(&CertOptions {
                kind: CertKind::Server { swarm_master },
                hosts: hosts.iter().map(|h| h.to_string()).collect(),
                cert_file: cert_file.clone(),
                key_file: key_file.clone(),
                ca_file: self.ca.clone(),
                ca_key_file: self.ca_key.clone(),
                org: format!("tester.{name}"),
                validity: None,
            })
            .unwrap();
            (cert_file, key_file)
        }
    }

    fn auth_for(store: &Path) -> AuthOptions {
        let certs = store.join("certs");
        let p = |f: &str| certs.join(f).to_string_lossy().into_owned();
        AuthOptions {
            cert_dir: certs.to_string_lossy().into_owned(),
            ca_cert_path: p("ca.pem"),
            ca_private_key_path: p("ca-key.pem"),
            client_cert_path: p("cert.pem"),
            client_key_path: p("key.pem"),
            store_path: store.to_string_lossy().into_owned(),
            ..Default::default()
        }
    }

    /// PKCS#1 RSA key PEM -> PKCS#8 PEM (PrivateKeyInfo wrap).
    fn to_pkcs8_pem(pkcs1_pem: &[u8]) -> String {
        fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
            let mut out = vec![tag];
            let len = content.len();
            if len < 0x80 {
                out.push(len as u8);
            } else {
                out.extend([0x82, (len >> 8) as u8, len as u8]);
            }
            out.extend_from_slice(content);
            out
        }
        let block = pem::parse(pkcs1_pem).unwrap();
        assert_eq!(block.tag(), "RSA PRIVATE KEY");
        let alg = tlv(
            0x30,
            &[
                &[
                    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
                ][..],
                &[0x05, 0x00],
            ]
            .concat(),
        );
        let info = tlv(
            0x30,
            &[&[0x02, 0x01, 0x00][..], &alg, &tlv(0x04, block.contents())].concat(),
        );
        pem::encode(&pem::Pem::new("PRIVATE KEY", info))
    }

    #[test]
    fn ca_client_and_server_certificates_have_the_original_properties() {
        let tmp = tempfile::tempdir().unwrap();
        let before = OffsetDateTime::now_utc();
        let pki = Pki::new(tmp.path(), "alice");
        let (server, server_key) = pki.server(
            "server",
            &["10.0.0.1", "dev.example.com", "localhost", "::1"],
            false,
        );
        let (swarm, _) = pki.server("swarm", &["10.0.0.2"], true);
        let after = OffsetDateTime::now_utc();

        #[cfg(unix)]
        {
            assert_eq!(mode(&pki.ca), 0o644);
            assert_eq!(mode(&pki.ca_key), 0o600);
            assert_eq!(mode(&pki.client), 0o644);
            assert_eq!(mode(&pki.client_key), 0o600);
            assert_eq!(mode(&server), 0o644);
            assert_eq!(mode(&server_key), 0o600);
        }
        for key in [&pki.ca_key, &pki.client_key, &server_key] {
            let text = fs::read_to_string(key).unwrap();
            assert!(
                text.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"),
                "{text}"
            );
            assert!(!text.contains('\r'));
        }

        let ca = cert::read_cert_info(&pki.ca).unwrap();
        assert_eq!(ca.organizations, ["alice"]);
        assert!(ca.is_ca);
        let client = cert::read_cert_info(&pki.client).unwrap();
        assert_eq!(client.organizations, ["alice.<bootstrap>"]);
        assert_eq!(client.issuer_organizations, ["alice"]);
        assert!(!client.is_ca && client.client_auth && !client.server_auth);
        assert!(client.dns_names.is_empty() && client.ip_addresses.is_empty());
        let srv = cert::read_cert_info(&server).unwrap();
        assert_eq!(srv.organizations, ["tester.server"]);
        assert!(srv.server_auth && !srv.client_auth && !srv.is_ca);
        assert_eq!(srv.dns_names, ["dev.example.com", "localhost"]);
        let ips: Vec<IpAddr> = vec!["10.0.0.1".parse().unwrap(), "::1".parse().unwrap()];
        assert_eq!(srv.ip_addresses, ips);
        assert!(srv.covers("10.0.0.1") && srv.covers("localhost") && !srv.covers("10.0.0.3"));
        let sw = cert::read_cert_info(&swarm).unwrap();
        assert!(sw.server_auth && sw.client_auth);

        // Validity: now truncated to the minute, minus 5 minutes, for 1080 days.
        let lo = Validity::starting_from(before).not_before;
        let hi = Validity::starting_from(after).not_before;
        for info in [&ca, &client, &srv] {
            assert!(
                info.not_before >= lo && info.not_before <= hi,
                "{:?}",
                info.not_before
            );
            assert_eq!(info.not_before.second(), 0);
            assert_eq!(info.not_after - info.not_before, time::Duration::days(1080));
        }

        if have_openssl() {
            let (ok, out) = verify(&pki.ca, "sslclient", &pki.client);
            assert!(ok && out.contains("OK"), "{out}");
            let (ok, out) = verify(&pki.ca, "sslserver", &server);
            assert!(ok && out.contains("OK"), "{out}");
            let (ok, _) = verify(&pki.ca, "sslclient", &server);
            assert!(!ok, "a plain server cert must not be a client cert");
            let (ok, out) = verify(&pki.ca, "sslclient", &swarm);
            assert!(ok, "swarm master cert also authenticates clients: {out}");
            let (ok, _) = verify(&pki.ca, "sslserver", &pki.client);
            assert!(!ok, "a client cert must not be a server cert");

            let (_, text) = openssl(&["x509", "-noout", "-text", "-in", pki.ca.to_str().unwrap()]);
            assert!(text.contains("CA:TRUE"), "{text}");
            assert!(text.contains("sha256WithRSAEncryption"), "{text}");
            assert!(text.contains("Public-Key: (2048 bit)"), "{text}");
            assert!(
                text.contains(
                    "Digital Signature, Key Encipherment, Key Agreement, Certificate Sign"
                ),
                "{text}"
            );
            let (_, text) = openssl(&["x509", "-noout", "-text", "-in", server.to_str().unwrap()]);
            assert!(text.contains("CA:FALSE"), "{text}");
            assert!(
                text.contains("Digital Signature, Key Encipherment, Key Agreement"),
                "{text}"
            );
            assert!(
                text.contains("DNS:dev.example.com, DNS:localhost")
                    && text.contains("IP Address:10.0.0.1")
                    && text.contains("IP Address:0:0:0:0:0:0:0:1"),
                "{text}"
            );
            let (_, subject) = openssl(&[
                "x509",
                "-noout",
                "-subject",
                "-in",
                pki.client.to_str().unwrap(),
            ]);
            assert_eq!(subject.trim(), "subject=O = \"alice.<bootstrap>\"");
            let (_, serial) =
                openssl(&["x509", "-noout", "-serial", "-in", pki.ca.to_str().unwrap()]);
            let hex = serial.trim().trim_start_matches("serial=");
            assert!(hex.len() <= 34, "serial below 2^128: {hex}");
        }
    }

    #[test]
    fn user_supplied_ca_with_pkcs8_key_signs_certificates() {
        let tmp = tempfile::tempdir().unwrap();
        let pki = Pki::new(tmp.path(), "bob");
        // Same CA, key re-encoded as PKCS#8 ("PRIVATE KEY").
        let pkcs8 = tmp.path().join("ca-key-pkcs8.pem");
        fs::write(&pkcs8, to_pkcs8_pem(&fs::read(&pki.ca_key).unwrap())).unwrap();
        let server = tmp.path().join("s.pem");
        cert::generate_cert(&CertOptions {
            kind: CertKind::Server {
                swarm_master: false,
            },
            hosts: vec!["192.168.99.100".into(), "localhost".into()],
            cert_file: server.clone(),
            key_file: tmp.path().join("s-key.pem"),
            ca_file: pki.ca.clone(),
            ca_key_file: pkcs8.clone(),
            org: "bob.m1".into(),
            validity: None,
        })
        .unwrap();
        assert_eq!(
            cert::read_cert_info(&server).unwrap().issuer_organizations,
            ["bob"]
        );
        if have_openssl() {
            let (ok, out) = verify(&pki.ca, "sslserver", &server);
            assert!(ok, "{out}");
        }

        // A client key in PKCS#8 works for the TLS client too.
        let client_pkcs8 = tmp.path().join("key-pkcs8.pem");
        fs::write(
            &client_pkcs8,
            to_pkcs8_pem(&fs::read(&pki.client_key).unwrap()),
        )
        .unwrap();
        tlsconfig::client_config(&pki.ca, &pki.client, &client_pkcs8).unwrap();

        // A key that is not the CA's is refused, as Go's tls.LoadX509KeyPair does.
        let other = Pki::new(&tmp.path().join("other").tap_mkdir(), "eve");
        let e = cert::generate_cert(&CertOptions {
            cert_file: tmp.path().join("x.pem"),
            key_file: tmp.path().join("x-key.pem"),
            ca_file: pki.ca.clone(),
            ca_key_file: other.ca_key.clone(),
            org: "x".into(),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "tls: private key does not match public key");
        let e = cert::generate_cert(&CertOptions {
            cert_file: tmp.path().join("x.pem"),
            key_file: tmp.path().join("x-key.pem"),
            ca_file: tmp.path().join("missing.pem"),
            ca_key_file: other.ca_key.clone(),
            org: "x".into(),
            ..Default::default()
        })
        .unwrap_err();
        assert!(
            e.to_string()
                .ends_with("missing.pem: no such file or directory"),
            "{e}"
        );
    }

    trait TapMkdir {
        fn tap_mkdir(self) -> PathBuf;
    }

    impl TapMkdir for PathBuf {
        fn tap_mkdir(self) -> PathBuf {
            fs::create_dir_all(&self).unwrap();
            self
        }
    }

    #[test]
    fn openssl_made_cas_with_complex_names_and_ec_keys_work() {
        if !have_openssl() {
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        for (name, keyargs) in [
            ("rsa", vec!["-newkey", "rsa:2048"]),
            (
                "ec",
                vec!["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
            ),
        ] {
            let ca = tmp.path().join(format!("{name}-ca.pem"));
            let ca_key = tmp.path().join(format!("{name}-ca-key.pem"));
            let mut args = vec!["req", "-x509", "-nodes"];
            args.extend(keyargs);
            let (ok, out) = openssl(
                &[
                    &args[..],
                    &[
                        "-keyout",
                        ca_key.to_str().unwrap(),
                        "-out",
                        ca.to_str().unwrap(),
                        "-days",
                        "30",
                        "-subj",
                        "/DC=com/DC=example/O=Corp/OU=IT/CN=Corp Issuing CA",
                    ],
                ]
                .concat(),
            );
            assert!(ok, "{out}");
            assert!(fs::read_to_string(&ca_key)
                .unwrap()
                .contains("BEGIN PRIVATE KEY"));
            let server = tmp.path().join(format!("{name}-server.pem"));
            let client = tmp.path().join(format!("{name}-client.pem"));
            cert::generate_cert(&CertOptions {
                kind: CertKind::Server {
                    swarm_master: false,
                },
                hosts: vec!["127.0.0.1".into()],
                cert_file: server.clone(),
                key_file: tmp.path().join(format!("{name}-server-key.pem")),
                ca_file: ca.clone(),
                ca_key_file: ca_key.clone(),
                org: "corp.m1".into(),
                validity: None,
            })
            .unwrap();
            cert::generate_cert(&CertOptions {
                cert_file: client.clone(),
                key_file: tmp.path().join(format!("{name}-client-key.pem")),
                ca_file: ca.clone(),
                ca_key_file: ca_key.clone(),
                org: "corp.<bootstrap>".into(),
                ..Default::default()
            })
            .unwrap();
            let (ok, out) = verify(&ca, "sslserver", &server);
            assert!(ok, "{name}: {out}");
            let (ok, out) = verify(&ca, "sslclient", &client);
            assert!(ok, "{name}: {out}");
        }
    }

    #[test]
    fn cert_bootstrap_from_50_threads_creates_one_ca_and_one_client_cert() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::new(tmp.path().join("store"));
        let auth = auth_for(&store.path);
        let results: Vec<cert::Bootstrapped> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..50)
                .map(|_| s.spawn(|| cert::bootstrap_report(&auth, &store).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(results.iter().filter(|r| r.ca_created).count(), 1);
        assert_eq!(results.iter().filter(|r| r.client_created).count(), 1);
        assert!(results
            .iter()
            .all(|r| !r.ca_regenerated && !r.client_regenerated));

        let certs = store.certs_dir();
        #[cfg(unix)]
        {
            assert_eq!(mode(&certs), 0o700);
            assert_eq!(mode(&certs.join("ca-key.pem")), 0o600);
            assert_eq!(mode(&certs.join("ca.pem")), 0o644);
        }
        let user = cert::username();
        let ca = cert::read_cert_info(&certs.join("ca.pem")).unwrap();
        assert_eq!(ca.organizations, vec![user.clone()]);
        let client = cert::read_cert_info(&certs.join("cert.pem")).unwrap();
        assert_eq!(client.organizations, [format!("{user}.<bootstrap>")]);
        cert::validate_cert_files(
            &certs.join("ca.pem"),
            &certs.join("cert.pem"),
            &certs.join("key.pem"),
        )
        .unwrap();
        // No stray temporary files.
        let mut names: Vec<String> = fs::read_dir(&certs)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["ca-key.pem", "ca.pem", "cert.pem", "key.pem"]);

        // Valid files are never replaced.
        let snapshot: Vec<Vec<u8>> = names
            .iter()
            .map(|n| fs::read(certs.join(n)).unwrap())
            .collect();
        let again = cert::bootstrap_report(&auth, &store).unwrap();
        assert_eq!(again, cert::Bootstrapped::default());
        let now: Vec<Vec<u8>> = names
            .iter()
            .map(|n| fs::read(certs.join(n)).unwrap())
            .collect();
        assert_eq!(snapshot, now);
    }

    /// Runs only as a child of the test below.
    #[test]
    fn cert_bootstrap_child_process_helper() {
        let Ok(store) = std::env::var(CHILD_ENV) else {
            return;
        };
        let store = Store::new(store);
        cert::bootstrap(&auth_for(&store.path), &store).unwrap();
    }

    #[test]
    fn cert_bootstrap_from_20_processes_creates_one_ca() {
        let tmp = tempfile::tempdir().unwrap();
        let store = tmp.path().join("store");
        let exe = std::env::current_exe().unwrap();
        // The helper's name as libtest knows it: its module path without the crate.
        let (_, module) = module_path!().split_once("::").unwrap();
        let helper = format!("{module}::cert_bootstrap_child_process_helper");
        let children: Vec<_> = (0..20)
            .map(|_| {
                Command::new(&exe)
                    .args([&helper, "--exact", "--nocapture", "--test-threads", "1"])
                    .env(CHILD_ENV, &store)
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut stdout = String::new();
        for child in children {
            let out = child.wait_with_output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(
                out.status.success(),
                "{text}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(text.contains("1 passed"), "{text}");
            stdout.push_str(&text);
        }
        let ca_line = format!("Creating CA: {}", store.join("certs/ca.pem").display());
        let client_line = format!(
            "Creating client certificate: {}",
            store.join("certs/cert.pem").display()
        );
        assert_eq!(
            stdout.matches(&format!("{ca_line}\n")).count(),
            1,
            "{stdout}"
        );
        assert_eq!(
            stdout.matches(&format!("{client_line}\n")).count(),
            1,
            "{stdout}"
        );
        let certs = store.join("certs");
        cert::validate_cert_files(
            &certs.join("ca.pem"),
            &certs.join("cert.pem"),
            &certs.join("key.pem"),
        )
        .unwrap();
    }

    fn expired() -> Validity {
        let start = OffsetDateTime::now_utc() - time::Duration::days(2000);
        Validity::starting_from(start)
    }

    #[test]
    fn cert_bootstrap_regenerates_expired_ca_and_client() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::new(tmp.path().join("store"));
        let auth = auth_for(&store.path);
        let certs = store.certs_dir();
        fs::create_dir_all(&certs).unwrap();
        let ca = certs.join("ca.pem");
        let ca_key = certs.join("ca-key.pem");
        cert::generate_ca_with_validity(&ca, &ca_key, "old", expired()).unwrap();
        assert!(!cert::check_certificate_date(&ca).unwrap());
        let old_ca = fs::read(&ca).unwrap();

        let done = cert::bootstrap_report(&auth, &store).unwrap();
        assert!(
            done.ca_regenerated && !done.ca_created && done.client_created,
            "{done:?}"
        );
        assert_ne!(fs::read(&ca).unwrap(), old_ca);
        assert!(cert::check_certificate_date(&ca).unwrap());
        assert_eq!(
            cert::read_cert_info(&ca).unwrap().organizations,
            [cert::username()]
        );

        // An expired client certificate is regenerated; the valid CA is kept.
        let ca_bytes = fs::read(&ca).unwrap();
        cert::generate_cert(&CertOptions {
            cert_file: certs.join("cert.pem"),
            key_file: certs.join("key.pem"),
            ca_file: ca.clone(),
            ca_key_file: ca_key.clone(),
            org: "x".into(),
            validity: Some(expired()),
            ..Default::default()
        })
        .unwrap();
        let done = cert::bootstrap_report(&auth, &store).unwrap();
        assert_eq!(
            done,
            cert::Bootstrapped {
                client_regenerated: true,
                ..Default::default()
            }
        );
        assert_eq!(fs::read(&ca).unwrap(), ca_bytes);
        assert!(cert::check_certificate_date(&certs.join("cert.pem")).unwrap());
        let e = cert::validate_certificate(&certs.join("cert.pem"), "client certificate");
        assert!(e.is_ok(), "{e:?}");
    }

    /// Both files of each pair exist and match.
    fn assert_whole(certs: &Path) {
        for (c, k) in [("ca.pem", "ca-key.pem"), ("cert.pem", "key.pem")] {
            let (c, k) = (
                fs::read(certs.join(c)).unwrap(),
                fs::read(certs.join(k)).unwrap(),
            );
            assert!(cert::key_matches_cert(&c, &k), "{c:?} / {k:?}");
        }
        let mut names: Vec<String> = fs::read_dir(certs)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["ca-key.pem", "ca.pem", "cert.pem", "key.pem"]);
    }

    /// Half-made pairs (0.16.2 or an older version killed while writing them) are made
    /// again or restored from a whole copy; the original failed on every later create.
    #[test]
    fn cert_bootstrap_repairs_half_made_pairs() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::new(tmp.path().join("store"));
        let auth = auth_for(&store.path);
        let certs = store.certs_dir();
        fs::create_dir_all(&certs).unwrap();
        // A CA key without its certificate, a client key without its certificate.
        fs::write(certs.join("ca-key.pem"), "stale").unwrap();
        fs::write(certs.join("key.pem"), "stale").unwrap();
        let done = cert::bootstrap_report(&auth, &store).unwrap();
        assert!(done.ca_created && done.client_created, "{done:?}");
        assert_whole(&certs);

        // The state: ca.pem in place, its key only as a whole temp file.
        let ca_key = fs::read(certs.join("ca-key.pem")).unwrap();
        fs::rename(certs.join("ca-key.pem"), certs.join("ca-key.pem.tmpAb12Cd")).unwrap();
        fs::write(certs.join("ca-key.pem.tmpZZZZZZ"), "truncat").unwrap();
        let done = cert::bootstrap_report(&auth, &store).unwrap();
        assert_eq!(
            done,
            cert::Bootstrapped::default(),
            "restored, nothing made"
        );
        assert_eq!(fs::read(certs.join("ca-key.pem")).unwrap(), ca_key);
        assert_whole(&certs);

        // A truncated client certificate (0.16.2 writes in place).
        let cert_pem = fs::read(certs.join("cert.pem")).unwrap();
        fs::write(certs.join("cert.pem"), &cert_pem[..100]).unwrap();
        let done = cert::bootstrap_report(&auth, &store).unwrap();
        assert!(done.client_created && !done.ca_created, "{done:?}");
        assert_whole(&certs);

        // An interrupted pair commit (new key in place, new certificate still staged) is
        // finished, not undone.
        let (new_cert, new_key) = (tmp.path().join("n.pem"), tmp.path().join("n-key.pem"));
        cert::generate_ca(&new_cert, &new_key, "x").unwrap();
        fs::copy(&new_key, certs.join("ca-key.pem")).unwrap();
        fs::copy(&new_cert, certs.join("ca.pem.pending")).unwrap();
        cert::bootstrap_report(&auth, &store).unwrap();
        assert_eq!(
            fs::read(certs.join("ca.pem")).unwrap(),
            fs::read(&new_cert).unwrap()
        );
        assert_whole(&certs);
        // A staged key without its staged certificate: the commit never started.
        fs::write(certs.join("key.pem.pending"), "half").unwrap();
        let client = fs::read(certs.join("cert.pem")).unwrap();
        cert::bootstrap_report(&auth, &store).unwrap();
        assert_eq!(fs::read(certs.join("cert.pem")).unwrap(), client);
        assert_whole(&certs);

        // Garbage in ca.pem, no key: a new CA, and a new client pair signed by it.
        fs::write(certs.join("ca.pem"), "garbage").unwrap();
        fs::remove_file(certs.join("ca-key.pem")).unwrap();
        let done = cert::bootstrap_report(&auth, &store).unwrap();
        assert!(done.ca_created && done.client_regenerated, "{done:?}");
        assert_whole(&certs);
    }

    /// A half-made CA that machines were provisioned with is not replaced behind their
    /// back: one line says what to do.
    #[test]
    fn cert_bootstrap_refuses_to_replace_a_ca_in_use() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::new(tmp.path().join("store"));
        let auth = auth_for(&store.path);
        let certs = store.certs_dir();
        cert::bootstrap(&auth, &store).unwrap();
        let m1 = store.machine_dir("m1");
        fs::create_dir_all(&m1).unwrap();
        fs::copy(certs.join("ca.pem"), m1.join("ca.pem")).unwrap();
        fs::remove_file(certs.join("ca-key.pem")).unwrap();
        let e = cert::bootstrap(&auth, &store).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "the CA is incomplete ({}/ca-key.pem is missing) and machines use it (m1): restore the file from a backup, or replace the CA with \"docker-machine regenerate-certs --client-certs -f m1\" and regenerate the certificates of the others",
                certs.display()
            )
        );
        assert!(!e.contains('\n'));
        // What the line says works: replacing the CA.
        cert::replace_ca_and_client(&auth, &store).unwrap();
        assert_whole(&certs);
        // A lost ca.pem whose copy a machine holds is restored from that copy.
        let ca = fs::read(certs.join("ca.pem")).unwrap();
        fs::write(m1.join("ca.pem"), &ca).unwrap();
        fs::remove_file(certs.join("ca.pem")).unwrap();
        let done = cert::bootstrap_report(&auth, &store).unwrap();
        assert_eq!(done, cert::Bootstrapped::default());
        assert_eq!(fs::read(certs.join("ca.pem")).unwrap(), ca);
    }

    #[test]
    fn cert_check_readable_and_validate_name_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let pki = Pki::new(tmp.path(), "carol");
        cert::validate_cert_files(&pki.ca, &pki.client, &pki.client_key).unwrap();
        cert::check_readable(&pki.client_key, "client key", PemKind::PrivateKey).unwrap();

        let missing = tmp.path().join("nope/ca.pem");
        let e = cert::check_readable(&missing, "CA certificate", PemKind::Certificate)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            format!(
                "Error reading CA certificate {0}: open {0}: no such file or directory",
                missing.display()
            )
        );
        let corrupt = tmp.path().join("corrupt.pem");
        fs::write(
            &corrupt,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let e = cert::check_readable(&corrupt, "CA certificate", PemKind::Certificate)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(&format!(
                "Error reading CA certificate {}: x509:",
                corrupt.display()
            )),
            "{e}"
        );
        assert!(!e.contains('\n'));
        let e = cert::check_readable(&pki.ca, "client key", PemKind::PrivateKey)
            .unwrap_err()
            .to_string();
        assert!(e.contains("PRIVATE KEY"), "{e}");

        // Key of another pair.
        let (_, server_key) = pki.server("s", &["1.2.3.4"], false);
        let e = cert::validate_cert_files(&pki.ca, &pki.client, &server_key)
            .unwrap_err()
            .to_string();
        assert!(e.contains("does not match"), "{e}");

        // Expired certificate.
        let old = tmp.path().join("old.pem");
        cert::generate_ca_with_validity(&old, &tmp.path().join("old-key.pem"), "o", expired())
            .unwrap();
        let e = cert::validate_certificate(&old, "CA certificate")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("certificate has expired or is not yet valid"),
            "{e}"
        );
    }

    // ----------------------------------------------------------------------------------
    // Connection check against a real rustls server requiring client certificates.

    fn spawn_server(
        bind: &str,
        client_ca: &Path,
        cert: &Path,
        key: &Path,
        tls12_only: bool,
    ) -> Option<SocketAddr> {
        let listener = TcpListener::bind(bind).ok()?;
        let addr = listener.local_addr().unwrap();
        let provider = tlsconfig::provider();
        let mut roots = RootCertStore::empty();
        for c in tlsconfig::load_certs(client_ca).unwrap() {
            roots.add(c).unwrap();
        }
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .unwrap();
        let versions: &[&rustls::SupportedProtocolVersion] = if tls12_only {
            &[&rustls::version::TLS12]
        } else {
            &[&rustls::version::TLS13, &rustls::version::TLS12]
        };
        let config = Arc::new(
            ServerConfig::builder_with_provider(provider)
                .with_protocol_versions(versions)
                .unwrap()
                .with_client_cert_verifier(verifier)
                .with_single_cert(
                    tlsconfig::load_certs(cert).unwrap(),
                    tlsconfig::load_private_key(key).unwrap(),
                )
                .unwrap(),
        );
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut sock) = stream else { continue };
                let config = config.clone();
                std::thread::spawn(move || {
                    sock.set_read_timeout(Some(Duration::from_secs(5))).ok();
                    let mut conn = ServerConnection::new(config).unwrap();
                    while conn.is_handshaking() {
                        if conn.complete_io(&mut sock).is_err() {
                            return;
                        }
                    }
                    while conn.wants_write() {
                        if conn.write_tls(&mut sock).is_err() {
                            return;
                        }
                    }
                    // Wait for the client to go away.
                    while let Ok(n) = conn.read_tls(&mut sock) {
                        if n == 0 || conn.process_new_packets().is_err() {
                            break;
                        }
                    }
                });
            }
        });
        Some(addr)
    }

    fn check(url: &str, pki: &Pki) -> Result<(), String> {
        tlsconfig::check_connection(
            url,
            &pki.ca,
            &pki.client,
            &pki.client_key,
            Duration::from_secs(10),
        )
        .map_err(|e| e.to_string())
    }

    #[test]
    fn cert_check_connection_succeeds_and_reports_failures_like_go() {
        let tmp = tempfile::tempdir().unwrap();
        let pki = Pki::new(&tmp.path().join("a").tap_mkdir(), "dave");
        let other = Pki::new(&tmp.path().join("b").tap_mkdir(), "mallory");
        let (good, good_key) = pki.server("good", &["127.0.0.1", "localhost"], false);
        let (wrong_san, wrong_san_key) =
            pki.server("wrongsan", &["10.0.0.1", "example.com"], false);

        for tls12_only in [false, true] {
            let addr = spawn_server("127.0.0.1:0", &pki.ca, &good, &good_key, tls12_only).unwrap();
            let port = addr.port();
            check(&format!("tcp://127.0.0.1:{port}"), &pki).unwrap();
            check(&format!("tcp://localhost:{port}"), &pki).unwrap();
            // PKCS#8 client key.
            let k8 = tmp.path().join("key8.pem");
            fs::write(&k8, to_pkcs8_pem(&fs::read(&pki.client_key).unwrap())).unwrap();
            tlsconfig::check_connection(
                &format!("tcp://127.0.0.1:{port}"),
                &pki.ca,
                &pki.client,
                &k8,
                Duration::from_secs(10),
            )
            .unwrap();

            // Wrong CA on our side.
            let e = check(&format!("tcp://127.0.0.1:{port}"), &other).unwrap_err();
            assert_eq!(e, "x509: certificate signed by unknown authority");

            // Our client certificate from another CA: the server refuses it.
            let e = tlsconfig::check_connection(
                &format!("tcp://127.0.0.1:{port}"),
                &pki.ca,
                &other.client,
                &other.client_key,
                Duration::from_secs(10),
            )
            .unwrap_err()
            .to_string();
            println!("client cert refused (tls12_only={tls12_only}): {e}");
            assert!(
                e.starts_with("remote error: tls: "),
                "tls12_only={tls12_only}: {e}"
            );
        }

        let addr = spawn_server("127.0.0.1:0", &pki.ca, &wrong_san, &wrong_san_key, false).unwrap();
        let e = check(&format!("tcp://127.0.0.1:{}", addr.port()), &pki).unwrap_err();
        assert_eq!(e, "x509: certificate is valid for 10.0.0.1, not 127.0.0.1");
        let e = check(&format!("tcp://localhost:{}", addr.port()), &pki).unwrap_err();
        assert_eq!(
            e,
            "x509: certificate is valid for example.com, not localhost"
        );

        // Refused.
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let e = check(&format!("tcp://127.0.0.1:{port}"), &pki).unwrap_err();
        assert_eq!(
            e,
            format!("dial tcp 127.0.0.1:{port}: connect: connection refused")
        );

        // Not TLS at all.
        let plain = TcpListener::bind("127.0.0.1:0").unwrap();
        let plain_port = plain.local_addr().unwrap().port();
        std::thread::spawn(move || {
            use std::io::Write;
            if let Ok((mut s, _)) = plain.accept() {
                let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
            }
        });
        let e = check(&format!("tcp://127.0.0.1:{plain_port}"), &pki).unwrap_err();
        println!("plain TCP peer: {e}");
        assert!(!e.is_empty() && !e.contains('\n'), "{e}");

        // Missing client files: the open error names the file.
        let e = tlsconfig::check_connection(
            &format!("tcp://127.0.0.1:{port}"),
            &pki.ca,
            &tmp.path().join("none.pem"),
            &pki.client_key,
            Duration::from_secs(1),
        )
        .unwrap_err();
        assert!(
            matches!(&e, tlsconfig::HandshakeError::Config(CertError::Io { .. })),
            "{e:?}"
        );
        let e = e.to_string();
        assert!(
            e.starts_with("open ") && e.ends_with("none.pem: no such file or directory"),
            "{e}"
        );
    }

    #[test]
    fn cert_check_connection_over_ipv6() {
        let tmp = tempfile::tempdir().unwrap();
        let pki = Pki::new(tmp.path(), "erin");
        let (server, key) = pki.server("v6", &["::1"], false);
        let Some(addr) = spawn_server("[::1]:0", &pki.ca, &server, &key, false) else {
            testkit::skip("no IPv6 loopback");
            return;
        };
        check(&format!("tcp://[::1]:{}", addr.port()), &pki).unwrap();
    }
}
