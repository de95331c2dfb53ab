//! A TCP relay between the process under test and a real server, to stage outages without
//! touching the server (which other tests share and whose data must survive): `cut` closes every
//! relayed connection and refuses new ones until `restore`.

use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub struct Relay {
    addr: SocketAddr,
    state: Arc<State>,
}

#[derive(Default)]
struct State {
    down: AtomicBool,
    open: Mutex<Vec<TcpStream>>,
}

impl Relay {
    /// Relays connections made to `addr()` to `upstream` (`host:port`).
    pub fn start(upstream: &str) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the relay");
        let addr = listener.local_addr().expect("relay address");
        let state = Arc::new(State::default());
        let shared = Arc::clone(&state);
        let upstream = upstream.to_string();
        // Lives as long as the test process; an idle relay costs one blocked thread.
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if shared.down.load(Ordering::SeqCst) {
                    continue; // dropped: the connection closes at once
                }
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let (Ok(c), Ok(s)) = (client.try_clone(), server.try_clone()) else {
                    continue;
                };
                if let Ok(mut open) = shared.open.lock() {
                    open.extend([c, s]);
                }
                pipe(&client, &server);
                pipe(&server, &client);
            }
        });
        Relay { addr, state }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Closes every relayed connection and refuses new ones.
    pub fn cut(&self) {
        self.state.down.store(true, Ordering::SeqCst);
        if let Ok(mut open) = self.state.open.lock() {
            for stream in open.drain(..) {
                let _ = stream.shutdown(Shutdown::Both);
            }
        }
    }

    /// Relays new connections again.
    pub fn restore(&self) {
        self.state.down.store(false, Ordering::SeqCst);
    }
}

/// Copies `from` to `to` until either side closes, then closes both directions.
fn pipe(from: &TcpStream, to: &TcpStream) {
    let (Ok(mut from), Ok(mut to)) = (from.try_clone(), to.try_clone()) else {
        return;
    };
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from, &mut to);
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    });
}
