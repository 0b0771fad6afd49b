//! Push sockets, natively: the WebSockets a source's push session asks for (Rocket.Chat's DDP,
//! Genesys Cloud's notification channels), over tokio-tungstenite. I/O only: what the session
//! decides, and what the reader does with it, is the core's
//! ([`Reader`](presence_widgets::core::reader::Reader)); the reader task
//! ([`crate::upstream::run`]) opens a socket when the reader says `Open`, writes what it says to
//! write, and reports what each socket reads and how it ends. Frames are never logged: a login
//! frame holds the token.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use presence_widgets::core::reader::SocketKey;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;

/// How long a socket may take to connect.
const CONNECT_WITHIN: Duration = Duration::from_secs(15);

/// The largest frame a socket reads: the services' notifications are a few kilobytes.
const MAX_FRAME_BYTES: usize = 1 << 20;

/// What a socket reports to the reader task.
#[derive(Debug)]
pub(crate) enum SocketEvent {
    /// It opened.
    Opened,
    /// A text frame arrived (its text is never logged: a frame may hold a token).
    Frame(String),
    /// It closed, or could not open, with its close code.
    Closed(u16),
}

/// What a socket's task is told.
#[derive(Debug)]
pub(crate) enum Command {
    /// Write a text frame.
    Send(String),
    /// Close with this code.
    Close(u16),
}

/// One socket: connects to `url`, reports it open, writes what it is told, reports each text
/// frame and how it ends. Told nothing more (the session is gone), it closes.
pub(crate) async fn socket(
    url: String,
    key: SocketKey,
    mut commands: mpsc::UnboundedReceiver<Command>,
    events: mpsc::UnboundedSender<(SocketKey, SocketEvent)>,
) {
    let id = key.socket;
    let report = |event: SocketEvent| {
        let _ = events.send((key, event));
    };
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_FRAME_BYTES))
        .max_frame_size(Some(MAX_FRAME_BYTES));
    let connecting = tokio_tungstenite::connect_async_with_config(url.as_str(), Some(config), true);
    let mut ws = match tokio::time::timeout(CONNECT_WITHIN, connecting).await {
        Ok(Ok((ws, _))) => ws,
        Ok(Err(e)) => {
            tracing::debug!(socket = id, error = %e, "push socket: cannot connect");
            return report(SocketEvent::Closed(1006));
        }
        Err(_) => {
            tracing::debug!(socket = id, "push socket: connecting timed out");
            return report(SocketEvent::Closed(1006));
        }
    };
    report(SocketEvent::Opened);
    loop {
        tokio::select! {
            command = commands.recv() => match command {
                Some(Command::Send(text)) => {
                    if ws.send(Message::Text(text.into())).await.is_err() {
                        return report(SocketEvent::Closed(1006));
                    }
                }
                Some(Command::Close(code)) => {
                    let frame = CloseFrame { code: CloseCode::from(code), reason: "".into() };
                    let _ = ws.close(Some(frame)).await;
                    return;
                }
                None => {
                    let _ = ws.close(None).await;
                    return;
                }
            },
            incoming = ws.next() => match incoming {
                Some(Ok(Message::Text(text))) => report(SocketEvent::Frame(text.to_string())),
                Some(Ok(Message::Close(frame))) => {
                    let code = frame.map_or(1005, |f| u16::from(f.code));
                    return report(SocketEvent::Closed(code));
                }
                // Binary frames are not these protocols'; pings are answered by tungstenite.
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return report(SocketEvent::Closed(1006)),
            },
        }
    }
}
