//! A minimal SMTP server on loopback for the tests and the benchmark (`bench/load.rs`
//! includes this file): it speaks enough of RFC 5321 for lettre (EHLO, MAIL, RCPT, DATA,
//! QUIT), accepts every message and keeps its data.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// `count` notices of CHG-000007 being scheduled, to person0@`domain` and on, queued in
/// one transaction (blocking: call it from a blocking thread).
pub fn queue_scheduled_notices(
    ctx: &endring::services::Ctx,
    count: usize,
    domain: &str,
) -> endring::services::ServiceResult<()> {
    ctx.db.write(|conn| -> endring::services::ServiceResult<()> {
        let payload = serde_json::json!({ "ref": "CHG-000007", "title": "Patch", "to": "scheduled",
            "risk_level": "low", "planned_start": null, "planned_end": null, "comment": null })
        .to_string();
        for n in 0..count {
            let email = format!("person{n}@{domain}");
            let notice = endring::db::outbox::NewNotice {
                kind: "scheduled",
                change_id: None,
                recipient_id: None,
                recipient_email: &email,
                payload: &payload,
            };
            endring::db::outbox::insert(conn, &notice, ctx.clock.now())?;
        }
        Ok(())
    })
}

/// A minimal SMTP server: accepts every message and keeps its data.
pub async fn smtp_server(listener: TcpListener, received: Arc<Mutex<Vec<String>>>) {
    smtp_server_gathering(listener, received, Gathering::default()).await
}

/// How the server answers the end of a message: at once (`together` 1), or only when
/// `together` messages have arrived in all or a second has passed, counting in `most` the
/// most messages that ever waited for their answer at once. A client that sends one
/// message after another never has two waiting; one that sends a batch at once does.
#[derive(Clone)]
pub struct Gathering {
    pub together: usize,
    pub most: Arc<AtomicUsize>,
    arrived: Arc<AtomicUsize>,
    waiting: Arc<AtomicUsize>,
}

impl Default for Gathering {
    fn default() -> Gathering {
        Gathering::of(1)
    }
}

impl Gathering {
    pub fn of(together: usize) -> Gathering {
        Gathering { together, most: Arc::default(), arrived: Arc::default(), waiting: Arc::default() }
    }

    async fn wait(&self) {
        self.arrived.fetch_add(1, Ordering::SeqCst);
        let waiting = self.waiting.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(waiting, Ordering::SeqCst);
        let started = Instant::now();
        while self.arrived.load(Ordering::SeqCst) < self.together
            && started.elapsed() < Duration::from_secs(1)
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        self.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}

/// As `smtp_server`, answering the end of each message as `gathering` says.
pub async fn smtp_server_gathering(
    listener: TcpListener,
    received: Arc<Mutex<Vec<String>>>,
    gathering: Gathering,
) {
    loop {
        let Ok((socket, _)) = listener.accept().await else { return };
        let received = received.clone();
        let gathering = gathering.clone();
        tokio::spawn(async move {
            let (read, mut write) = socket.into_split();
            let mut lines = BufReader::new(read).lines();
            let _ = write.write_all(b"220 test ESMTP\r\n").await;
            let mut data: Option<String> = None;
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(body) = data.as_mut() {
                    if line == "." {
                        received.lock().unwrap().push(data.take().unwrap_or_default());
                        gathering.wait().await;
                        let _ = write.write_all(b"250 queued\r\n").await;
                    } else {
                        body.push_str(&line);
                        body.push('\n');
                    }
                    continue;
                }
                let verb = line.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
                let reply: &[u8] = match verb.as_str() {
                    "EHLO" => b"250-test\r\n250 8BITMIME\r\n",
                    "DATA" => {
                        data = Some(String::new());
                        b"354 go on\r\n"
                    }
                    "QUIT" => {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        return;
                    }
                    _ => b"250 ok\r\n",
                };
                let _ = write.write_all(reply).await;
            }
        });
    }
}
