//! A real browser for the web application's tests: Debian's Chromium,
//! headless, driven over WebDriver (`chromedriver`, started here on a free
//! loopback port) with fantoccini. Every helper fails the test on any
//! JavaScript error the page recorded (`window.ansinhErrors`, filled by
//! `core.js` from `error`, `unhandledrejection` and `console.error`).

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a screen may take to show what a step waits for.
const WAIT: Duration = Duration::from_secs(15);

/// The chromedriver process, in a process group of its own with the
/// Chromium it starts: the whole group ends when the test ends, passed or
/// not (a failed test never closes its session).
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub struct Browser {
    pub client: Client,
    pub base: String,
    _driver: Driver,
}

/// A port nobody listens on now (the system's pick for port 0).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session on the app at `base`.
    pub async fn start(base: &str) -> Browser {
        let port = free_port();
        use std::os::unix::process::CommandExt as _;
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let driver = Driver(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < WAIT, "chromedriver did not listen");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({ "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1366,900",
                "--disable-dev-shm-usage", "--lang=vi-VN",
            ] }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a Chromium session");
        Browser {
            client,
            base: base.to_string(),
            _driver: driver,
        }
    }

    pub async fn open(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .expect("goto");
    }

    /// Runs `script` (a function body) in the page and returns its value.
    pub async fn run(&self, script: &str, args: Vec<Value>) -> Value {
        self.client.execute(script, args).await.expect("execute")
    }

    /// Fails on any JavaScript error the page recorded, on a control shown
    /// without a label (`<label for>`, `aria-label`, or a button's text) and
    /// on a table header cell without `scope`.
    pub async fn no_errors(&self, step: &str) {
        let errors = self
            .run(
                "return window.ansinhErrors || ['core.js did not load'];",
                vec![],
            )
            .await;
        assert_eq!(errors, json!([]), "JavaScript errors at {step}");
        let unlabelled = self
            .run(
                "return [...document.querySelectorAll('input, select, textarea, button')] \
                   .filter(e => e.checkVisibility() && !(e.labels && e.labels.length) \
                     && !e.getAttribute('aria-label') && !(e.tagName === 'BUTTON' && e.textContent.trim())) \
                   .map(e => e.outerHTML.slice(0, 120));",
                vec![],
            )
            .await;
        assert_eq!(unlabelled, json!([]), "controls without a label at {step}");
        let no_scope = self
            .run(
                "return [...document.querySelectorAll('th:not([scope])')].map(e => e.outerHTML.slice(0, 80));",
                vec![],
            )
            .await;
        assert_eq!(no_scope, json!([]), "header cells without scope at {step}");
    }

    /// The text of the first element matching `css`, or None when there is
    /// none or it is not shown (a hidden element's innerText is its whole text).
    pub async fn text(&self, css: &str) -> Option<String> {
        let script = "const e = document.querySelector(arguments[0]); \
                      return e && e.checkVisibility() ? e.innerText : null;";
        self.run(script, vec![json!(css)])
            .await
            .as_str()
            .map(str::to_string)
    }

    /// Waits until the element `css` shows `needle` in its text.
    pub async fn wait_text(&self, css: &str, needle: &str) -> String {
        let started = Instant::now();
        loop {
            let text = self.text(css).await;
            if let Some(text) = text.as_ref().filter(|t| t.contains(needle)) {
                return text.clone();
            }
            if started.elapsed() > WAIT {
                let errors = self.run("return window.ansinhErrors;", vec![]).await;
                panic!("'{css}' never showed '{needle}'; it shows {text:?}; errors {errors}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for `css` to exist and be shown, then clicks it; again if the
    /// element was drawn anew meanwhile (a list reloading).
    pub async fn click(&self, css: &str) {
        let started = Instant::now();
        loop {
            let element = self
                .client
                .wait()
                .at_most(WAIT)
                .for_element(Locator::Css(css))
                .await
                .unwrap_or_else(|e| panic!("no '{css}': {e}"));
            match element.click().await {
                Ok(()) => return,
                Err(e) if started.elapsed() < WAIT && e.to_string().contains("stale") => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("click '{css}': {e}"),
            }
        }
    }

    /// Types into the field `css` (after clearing it).
    pub async fn type_into(&self, css: &str, text: &str) {
        let element = self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no '{css}': {e}"));
        element.clear().await.expect("clear");
        element.send_keys(text).await.expect("type");
    }

    /// Logs in through the form, submitted with the Enter key, and waits
    /// for the role's screens.
    pub async fn log_in(&self, username: &str, password: &str) {
        self.wait_text("#login h1", "Đăng nhập").await;
        self.type_into("#login-username", username).await;
        self.type_into("#login-password", &format!("{password}\u{E007}"))
            .await;
        self.wait_text("#whoami", username).await;
        self.no_errors(&format!("login of {username}")).await;
    }

    pub async fn log_out(&self) {
        self.click("#logout").await;
        // A hidden element's text is empty: this waits for the form to show.
        self.wait_text("#login h1", "Đăng nhập").await;
        let shown = self
            .run(
                "return !document.getElementById('login').hidden && document.getElementById('nav').hidden;",
                vec![],
            )
            .await;
        assert_eq!(shown, json!(true), "the login form, and no screens");
    }

    /// Scrolls the page so that `css` is at the top of the window.
    pub async fn scroll_to(&self, css: &str) {
        let script = "document.querySelector(arguments[0]).scrollIntoView();";
        self.run(script, vec![json!(css)]).await;
    }

    /// Saves a PNG of what the window shows as `target/screenshots/NAME.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&folder).expect("screenshot folder");
        std::fs::write(folder.join(format!("{name}.png")), png).expect("write screenshot");
    }
}
