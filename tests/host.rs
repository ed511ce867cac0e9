//! The host functions that need set-up, on every execution path (interp,
//! jit, aot, aot-aarch64; see `tests/support`): files in a fresh temporary
//! directory, the atomicity of `__sys_write_file` against a killed writer,
//! HTTP against a server this test runs on 127.0.0.1, commands, the
//! program's arguments, and the fs, os and net modules over them. The pure
//! host functions are golden programs (`tests/programs/host_*.ilu`, and
//! `lib_cry`, `lib_jsn` for their modules).

mod support;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::{assert_output, build, selected_paths};

fn write_program(dir: &Path, name: &str, source: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, source).expect("write the program");
    path
}

const FILES: &str = r#"d = __sys_argv()[0]
show(f) = prn try(f).err
p = d + "/a.txt"
prn __sys_write_file(p, "héllo\n")
prn __sys_read_file(p)
prn __sys_append_file(p, "more")
prn __sys_read_file(p) == "héllo\nmore"
__sys_write_file(p, "new")
prn __sys_read_file(p)
__sys_append_file(d + "/fresh.txt", "x")
b = __buf_new(3)
b[1] = 255
b[2] = 10
__sys_write_file(d + "/bytes.bin", b)
prn __sys_stat(d + "/bytes.bin").size
prn __sys_mkdir(d + "/sub/deeper/deepest")
__sys_mkdir(d + "/sub")
__sys_write_file(d + "/B.txt", "")
prn __sys_read_dir(d)
st = __sys_stat(p)
prn(st.typ, st.size, typ(st.mtime), st.mtime > 1.7e12, kys(st))
prn __sys_stat(d + "/sub").typ
prn __sys_stat(d + "/nope")
prn __sys_read_dir(d + "/sub")
show(\() __sys_read_file(d + "/bad.txt"))
show(\() __sys_read_file(d + "/nope"))
show(\() __sys_remove(d + "/sub"))
prn __sys_remove(d + "/sub/deeper/deepest")
prn __sys_read_dir(d + "/sub/deeper")
prn __sys_remove(p)
prn __sys_stat(p)
show(\() __sys_mkdir(d + "/B.txt/x"))
show(\() __sys_write_file(d + "/nodir/x.txt", "x"))
show(\() __sys_append_file(d + "/sub", "x"))
show(\() __sys_read_dir(d + "/B.txt"))
show(\() __sys_remove(d + "/nope"))
prn __sys_read_dir(d)
"#;

const FILES_OUT: &str = r#"nil
héllo

nil
tru
new
3
nil
["B.txt", "a.txt", "bad.txt", "bytes.bin", "fresh.txt", "sub"]
file 3 num tru ["typ", "size", "mtime"]
dir
nil
["deeper"]
cannot read file 'DIR/bad.txt': not valid UTF-8
cannot read file 'DIR/nope': No such file or directory
cannot remove 'DIR/sub': Directory not empty
nil
[]
nil
nil
cannot create directory 'DIR/B.txt/x': Not a directory
cannot write file 'DIR/nodir/x.txt': No such file or directory
cannot append to file 'DIR/sub': Is a directory
cannot read directory 'DIR/B.txt': Not a directory
cannot remove 'DIR/nope': No such file or directory
["B.txt", "bad.txt", "bytes.bin", "fresh.txt", "sub"]
"#;

#[test]
fn files() {
    let tmp = tempfile::tempdir().unwrap();
    let source = write_program(tmp.path(), "files.ilu", FILES);
    for path in selected_paths() {
        let built = build(path, &source);
        let work = tmp.path().join(format!("work-{}", path.name()));
        std::fs::create_dir(&work).unwrap();
        std::fs::write(work.join("bad.txt"), [b'a', 0xff, 0xfe]).unwrap();
        let dir = work.to_str().unwrap();
        let out = built.run(&[dir], &[]);
        assert_output(path, &out, &FILES_OUT.replace("DIR", dir), "", 0);
        assert_eq!(std::fs::read(work.join("bytes.bin")).unwrap(), [0, 255, 10]);
        assert_eq!(std::fs::read(work.join("fresh.txt")).unwrap(), b"x");
    }
}

/// A writer that replaces one file, forever, with 200,000 'a's or as many
/// 'b's in turn.
const WRITER: &str = r#"p = __sys_argv()[0]
repeat(piece, n) =
    s = ""
    whl n > 0:
        if n % 2 == 1: s = s + piece
        piece = piece + piece
        n = flr(n / 2)
    s
a = repeat("a", 200000)
b = repeat("b", 200000)
whl tru:
    __sys_write_file(p, a)
    __sys_write_file(p, b)
"#;

/// The file holds all of one version or all of the other.
fn assert_whole(path: &Path, what: &str) {
    let bytes = std::fs::read(path).unwrap();
    let whole = bytes.len() == 200_000
        && (bytes.iter().all(|&c| c == b'a') || bytes.iter().all(|&c| c == b'b'));
    assert!(
        whole,
        "{what}: a mixed or partial file ({} bytes, starting {:?})",
        bytes.len(),
        String::from_utf8_lossy(&bytes[..bytes.len().min(20)])
    );
}

#[test]
fn write_file_is_atomic_even_when_the_writer_is_killed() {
    let tmp = tempfile::tempdir().unwrap();
    let source = write_program(tmp.path(), "writer.ilu", WRITER);
    for path in selected_paths() {
        let built = build(path, &source);
        for round in 0..3 {
            let work = tmp.path().join(format!("w-{}-{round}", path.name()));
            std::fs::create_dir(&work).unwrap();
            let target = work.join("data.txt");
            let mut child = built.spawn(&[target.to_str().unwrap()]);
            let start = Instant::now();
            while !target.exists() {
                assert!(start.elapsed() < Duration::from_secs(60), "no file written");
                std::thread::sleep(Duration::from_millis(2));
            }
            // Readers see whole versions while the writer runs...
            let mut reads = 0;
            let stop_at = Instant::now() + Duration::from_millis(150 + 100 * round);
            while Instant::now() < stop_at {
                assert_whole(&target, path.name());
                reads += 1;
            }
            // ...and after it is killed at an arbitrary point.
            child.kill().unwrap();
            child.wait().unwrap();
            assert_whole(&target, path.name());
            assert!(reads > 0);
        }
    }
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A small HTTP/1.1 server on 127.0.0.1 for the test: one thread per
/// connection, `Connection: close`, stopped (and its threads ended) when
/// dropped. `/slow` never answers (until the server stops).
struct Server {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    accept: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen2, stop2) = (seen.clone(), stop.clone());
        let accept = std::thread::spawn(move || {
            let mut workers = Vec::new();
            while !stop2.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (seen, stop) = (seen2.clone(), stop2.clone());
                        workers.push(std::thread::spawn(move || serve(stream, &seen, &stop)));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
            for w in workers {
                let _ = w.join();
            }
        });
        Server {
            port,
            seen,
            stop,
            accept: Some(accept),
        }
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn take_seen(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

fn serve(stream: TcpStream, seen: &Mutex<Vec<Seen>>, stop: &AtomicBool) {
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    // A TLS client hello (0x16): answer in plain HTTP, which the client
    // must report as a broken TLS record (this is how the https test checks
    // that the TLS stack is linked in and runs on every path).
    let mut first = [0u8; 1];
    if stream.peek(&mut first).is_ok_and(|n| n == 1) && first[0] == 0x16 {
        let _ = (&stream).write_all(
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        std::thread::sleep(Duration::from_millis(200));
        return;
    }
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim_end().is_empty() {
            break;
        }
        if let Some((k, v)) = h.trim_end().split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let request = Seen {
        method: method.clone(),
        target: target.clone(),
        headers,
        body: body.clone(),
    };
    seen.lock().unwrap().push(request);

    let (status, extra, payload): (&str, Vec<(&str, String)>, Vec<u8>) = match target.as_str() {
        "/ok" => (
            "200 OK",
            vec![
                ("Content-Type", "text/plain; charset=utf-8".into()),
                ("X-Custom", "yes".into()),
                ("Set-Cookie", "a=1".into()),
                ("Set-Cookie", "b=2".into()),
            ],
            "hello ✓".into(),
        ),
        "/missing" => ("404 Not Found", vec![], b"no such page".to_vec()),
        "/error" => ("500 Internal Server Error", vec![], b"boom".to_vec()),
        "/redirect" => ("302 Found", vec![("Location", "/ok".into())], vec![]),
        "/echo" => ("200 OK", vec![("X-Method", method)], body),
        "/slow" => {
            let until = Instant::now() + Duration::from_secs(20);
            while !stop.load(Ordering::Relaxed) && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(10));
            }
            return;
        }
        _ => ("400 Bad Request", vec![], vec![]),
    };
    let mut response = format!("HTTP/1.1 {status}\r\n");
    for (k, v) in extra {
        response.push_str(&format!("{k}: {v}\r\n"));
    }
    response.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        payload.len()
    ));
    let mut stream = stream;
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.write_all(&payload);
    let _ = stream.flush();
}

/// A port on 127.0.0.1 where nothing listens.
fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

const HTTP: &str = r#"base = __sys_argv()[0]
show(f) = prn try(f).err
r = __http_get(base + "/ok", {"X-Token": "abc 123", Accept: "text/plain"})
prn r.cod
prn r.txt
prn r.hdr
prn kys(r)
r = __http_get(base + "/missing", nil)
prn(r.cod, r.txt)
r = __http_get(base + "/error", {})
prn(r.cod, r.txt)
r = __http_get(base + "/redirect", nil)
prn(r.cod, r.txt)
r = __http_post(base + "/echo", {"Content-Type": "application/json", "X-N": 5}, "{\"k\": [1, 2]}")
prn(r.cod, r.txt, r.hdr["x-method"])
b = __buf_new(3)
b[1] = 1
b[2] = 255
r = __http_post(base + "/echo", nil, b)
prn(r.cod, len(r.txt))
show(\() __http_get("http://127.0.0.1:" + __sys_argv()[1] + "/x", nil))
show(\() __http_post("http://127.0.0.1:" + __sys_argv()[1] + "/x", nil, ""))
show(\() __http_get("nonsense", nil))
show(\() __http_get(__sys_argv()[2], nil))
"#;

const HTTP_OUT: &str = r#"200
hello ✓
{"content-type": "text/plain; charset=utf-8", "x-custom": "yes", "set-cookie": "a=1, b=2", "content-length": "9", connection: "close"}
["cod", "txt", "hdr"]
404 no such page
500 boom
200 hello ✓
200 {"k": [1, 2]} POST
200 3
cannot GET 'http://127.0.0.1:PORT/x': Connection refused
cannot POST 'http://127.0.0.1:PORT/x': Connection refused
cannot GET 'nonsense': bad uri: nonsense is missing scheme
cannot GET 'https://127.0.0.1:SERVER/ok': received corrupt message of type InvalidContentType
"#;

#[test]
fn http() {
    let tmp = tempfile::tempdir().unwrap();
    let source = write_program(tmp.path(), "http.ilu", HTTP);
    let slow = write_program(
        tmp.path(),
        "slow.ilu",
        "r = try(\\() __http_get(__sys_argv()[0], nil))\nprn r.err\n",
    );
    let server = Server::start();
    let base = server.base();
    for path in selected_paths() {
        let built = build(path, &source);
        let port = closed_port().to_string();
        let https = format!("https://127.0.0.1:{}/ok", server.port);
        let out = built.run(&[&base, &port, &https], &[]);
        let expected = HTTP_OUT
            .replace("SERVER", &server.port.to_string())
            .replace("PORT", &port);
        assert_output(path, &out, &expected, "", 0);

        let seen: HashMap<String, Vec<Seen>> =
            server
                .take_seen()
                .into_iter()
                .fold(HashMap::new(), |mut m, s| {
                    m.entry(s.target.clone()).or_default().push(s);
                    m
                });
        let ok = &seen["/ok"];
        // The redirect's second request arrives at /ok too.
        assert_eq!(ok.len(), 2, "{}", path.name());
        assert_eq!(ok[0].method, "GET");
        assert_eq!(ok[0].header("x-token"), Some("abc 123"));
        assert_eq!(ok[0].header("accept"), Some("text/plain"));
        let echo = &seen["/echo"];
        assert_eq!(echo.len(), 2);
        assert_eq!(echo[0].method, "POST");
        assert_eq!(echo[0].header("content-type"), Some("application/json"));
        assert_eq!(echo[0].header("x-n"), Some("5"));
        assert_eq!(echo[0].body, br#"{"k": [1, 2]}"#);
        assert_eq!(echo[1].body, [0, 1, 255]);

        // A server that never answers: the time limit, then a catchable error.
        let slow_built = build(path, &slow);
        let url = format!("{base}/slow");
        let started = Instant::now();
        let out = slow_built.run(&[&url], &[("ILUSM_HTTP_TIMEOUT_MS", "500")]);
        let expected = format!("cannot GET '{url}': timed out after 500 ms\n");
        assert_output(path, &out, &expected, "", 0);
        assert!(started.elapsed() < Duration::from_secs(20));
        let out = slow_built.run(&[&url], &[("ILUSM_HTTP_TIMEOUT_MS", "soon")]);
        let expected =
            "ILUSM_HTTP_TIMEOUT_MS must be a positive integer (milliseconds), got 'soon'\n";
        assert_output(path, &out, expected, "", 0);
        server.take_seen();
    }
}

const COMMANDS: &str = r#"show(f) = prn try(f).err
prn __sys_run_command("printf", ["[%s]", "a b", "it's", "\"q\"", "", "$HOME", "*", "\\n"])
r = __sys_run_command("sh", ["-c", "echo out; echo err >&2; exit 7"])
prn r
prn __sys_run_command("sh", ["-c", "kill -9 $$"]).cod
prn __sys_run_command("/bin/sh", ["-c", "printf '%s' \"$1\"", "sh", "x\ny"]).out
prn __sys_run_command("cat", [])
prn __sys_run_command("false", []).cod
show(\() __sys_run_command("ilusm-no-such-program", ["a"]))
show(\() __sys_run_command("/no/such/dir/prog", []))
"#;

const COMMANDS_OUT: &str = r#"{cod: 0, out: "[a b][it's][\"q\"][][$HOME][*][\\n]", err: ""}
{cod: 7, out: "out\n", err: "err\n"}
137
x
y
{cod: 0, out: "", err: ""}
1
cannot run 'ilusm-no-such-program': No such file or directory
cannot run '/no/such/dir/prog': No such file or directory
"#;

#[test]
fn commands() {
    let tmp = tempfile::tempdir().unwrap();
    let source = write_program(tmp.path(), "commands.ilu", COMMANDS);
    for path in selected_paths() {
        let out = build(path, &source).run(&[], &[]);
        assert_output(path, &out, COMMANDS_OUT, "", 0);
    }
}

/// Prints far more than a pipe holds, then exits with status 3.
const FLOOD: &str = r#"i <- 1..100000: prn "line " + str(i)
__sys_exit(3)
"#;

/// Output to a pipe whose reader has gone is dropped and the program runs on to its end, on
/// every path (`SIGPIPE` is ignored by the CLI and by AOT executables alike; an AOT executable
/// used to be killed by it while `ilusm run` went on).
#[test]
fn a_closed_stdout_pipe_does_not_stop_the_program() {
    let tmp = tempfile::tempdir().unwrap();
    let source = write_program(tmp.path(), "flood.ilu", FLOOD);
    for path in selected_paths() {
        let mut child = build(path, &source).spawn(&[]);
        let mut first = String::new();
        let stdout = child.stdout.take().expect("stdout is piped");
        BufReader::new(stdout).read_line(&mut first).unwrap();
        // The read end closes here; every later write fails.
        assert_eq!(first, "line 1\n", "on path {}", path.name());
        let out = child.wait_with_output().expect("wait for the program");
        assert_output(path, &out, "", "", 3);
    }
}

#[test]
fn program_arguments() {
    let tmp = tempfile::tempdir().unwrap();
    let source = write_program(
        tmp.path(),
        "args.ilu",
        "prn __sys_argv()\nprn len(__sys_argv())\n",
    );
    for path in selected_paths() {
        let built = build(path, &source);
        assert_output(
            path,
            &built.run(&["a", "b"], &[]),
            "[\"a\", \"b\"]\n2\n",
            "",
            0,
        );
        assert_output(path, &built.run(&[], &[]), "[]\n0\n", "", 0);
        // Words the CLI would otherwise take as its own options reach the program.
        let out = built.run(&["--jit", "-x", "c d", "", "--", "é"], &[]);
        let expected = "[\"--jit\", \"-x\", \"c d\", \"\", \"--\", \"é\"]\n6\n";
        assert_output(path, &out, expected, "", 0);
    }
}

/// The standard modules over the host functions (fs, os, net; cry and jsn
/// are golden programs): the wrappers pass arguments through, optional
/// arguments may be left out, `os.exit` ends the program with its status.
const MODULES: &str = r#"use fs
use os
use net
d = os.args()[0]
base = os.args()[1]
p = d + "/m.txt"
prn fs.wr(p, "one")
fs.app(p, "+two")
prn fs.rd(p)
prn(fs.has(p), fs.has(d + "/nope"))
fs.md(d + "/x/y")
prn fs.ls(d)
fs.rm(d + "/x/y")
fs.rm(p)
prn(fs.has(p), fs.ls(d + "/x"))
prn try(\() fs.rd(p)).err
prn(os.env("ILUSM_TEST_VAR"), os.env("ILUSM_NO_SUCH_VAR"))
prn os.run("sh", ["-c", "echo hi; exit 4"])
t = os.time()
os.sleep(20)
prn os.time() - t >= 20
r = net.get(base + "/ok")
prn(r.cod, r.txt)
prn net.get(base + "/missing", {Accept: "text/plain"}).cod
r = net.post(base + "/echo", "body")
prn(r.cod, r.txt, r.hdr["x-method"])
prn net.post(base + "/echo", "x", {"X-N": 1}).txt
prn "exiting"
f() = os.exit(3)
f()
prn "unreachable"
"#;

const MODULES_OUT: &str = r#"nil
one+two
tru fls
["m.txt", "x"]
fls []
cannot read file 'DIR/m.txt': No such file or directory
set nil
{cod: 4, out: "hi\n", err: ""}
tru
200 hello ✓
404
200 body POST
x
exiting
"#;

#[test]
fn standard_modules_over_the_host() {
    let tmp = tempfile::tempdir().unwrap();
    let source = write_program(tmp.path(), "modules.ilu", MODULES);
    let server = Server::start();
    let base = server.base();
    for path in selected_paths() {
        let built = build(path, &source);
        let work = tmp.path().join(format!("mod-{}", path.name()));
        std::fs::create_dir(&work).unwrap();
        let dir = work.to_str().unwrap();
        let out = built.run(&[dir, &base], &[("ILUSM_TEST_VAR", "set")]);
        assert_output(path, &out, &MODULES_OUT.replace("DIR", dir), "", 3);
        server.take_seen();
    }
}
