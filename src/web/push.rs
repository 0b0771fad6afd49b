//! A source's push sockets in the browser. I/O only: what a frame means and what to do next is
//! the core's (`core::reader`, which drives the session of `core::push`).

use std::rc::Weak;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use crate::core::reader::SocketKey;

/// One open WebSocket and its handlers (dropped with it).
pub(crate) struct Socket {
    id: SocketKey,
    ws: WebSocket,
    _open: Closure<dyn FnMut()>,
    _message: Closure<dyn FnMut(MessageEvent)>,
    _close: Closure<dyn FnMut(CloseEvent)>,
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}

/// The sockets a source's push session holds open (each closed when dropped).
#[derive(Default)]
pub(crate) struct Sockets(Vec<Socket>);

impl Sockets {
    /// Keeps an opened socket.
    pub(crate) fn add(&mut self, socket: Socket) {
        self.0.push(socket);
    }

    /// Sends a frame; false when the socket is gone.
    pub(crate) fn send(&self, socket: SocketKey, text: &str) -> bool {
        self.0
            .iter()
            .find(|s| s.id == socket)
            .is_some_and(|s| s.ws.send_with_str(text).is_ok())
    }

    /// Closes a socket and lets go of it.
    pub(crate) fn close(&mut self, socket: SocketKey, code: u16) {
        if let Some(at) = self.0.iter().position(|s| s.id == socket) {
            let s = self.0.remove(at);
            let _ = s.ws.close_with_code(code);
        }
    }

    /// Lets go of a socket that closed.
    pub(crate) fn forget(&mut self, socket: SocketKey) {
        self.0.retain(|s| s.id != socket);
    }
}

/// What a socket tells its session.
pub(crate) enum Event {
    Opened,
    Frame(String),
    Closed(u16),
}

/// Opens `url` as socket `id`; its events go to `deliver` (which finds the session again through
/// a weak reference, so a socket never keeps its store alive).
pub(crate) fn open<S: 'static>(
    id: SocketKey,
    url: &str,
    owner: Weak<S>,
    deliver: fn(&Weak<S>, SocketKey, Event),
) -> Result<Socket, String> {
    let ws = WebSocket::new(url).map_err(|e| super::transport::describe(&e))?;
    let (o1, o2, o3) = (owner.clone(), owner.clone(), owner);
    let open = Closure::<dyn FnMut()>::new(move || deliver(&o1, id, Event::Opened));
    let message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        // Text frames only: a binary frame is not a frame of these protocols.
        let text = e.data().as_string().unwrap_or_default();
        deliver(&o2, id, Event::Frame(text));
    });
    let close = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
        deliver(&o3, id, Event::Closed(e.code()));
    });
    ws.set_onopen(Some(open.as_ref().unchecked_ref()));
    ws.set_onmessage(Some(message.as_ref().unchecked_ref()));
    ws.set_onclose(Some(close.as_ref().unchecked_ref()));
    Ok(Socket {
        id,
        ws,
        _open: open,
        _message: message,
        _close: close,
    })
}
