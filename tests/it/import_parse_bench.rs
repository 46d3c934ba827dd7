//! Parse throughput of the roll parser on ~300k generated approval rows.
//! Run: `cargo test --release --test it -- --ignored import_parse_bench`
//! (a benchmark, so an ignored test: it prints figures rather than asserting speed).

use crate::support::harness::Suite;
use ansinh::import::parse::{read_approvals, read_payments, Record};
use std::time::Instant;

pub fn register(suite: &mut Suite) {
    register!(suite;
        benchmark: parse_throughput,
    );
}

const ROWS: usize = 300_000;

fn approval_roll(rows: usize) -> Vec<u8> {
    let names = [
        "Thạch Sa Rây",
        "Nguyễn Thị Mỹ Linh",
        "Kim Ngọc Hên",
        "Sơn Thị Phone",
        "Lâm Minh Khang",
    ];
    let mut text = String::from(
        "\u{feff}STT;Họ và tên;Ngày sinh;Giới tính;Số CCCD/CMND;Mã xã;Địa chỉ;Nhóm đối tượng;Số tiền;\
         Số quyết định;Ngày quyết định;Hình thức chi trả;Số tài khoản;Ghi chú\r\n",
    );
    let mut total: i64 = 0;
    for i in 0..rows {
        let (category, amount, amount_text) = match i % 3 {
            0 => ("tu-do", 1_500_000, "1.500.000"),
            1 => ("ngung-viec", 3_710_000, "3.710.000"),
            _ => ("tre-em", 1_000_000, "1.000.000"),
        };
        total += amount;
        let (method, account) = if i % 4 == 0 {
            (
                "Chuyển khoản",
                format!("{:012}", 926_000_000_000u64 + i as u64),
            )
        } else {
            ("Tiền mặt", String::new())
        };
        text.push_str(&format!(
            "{};{};{:02}/{:02}/{};{};0840{:08};{};Ấp Sóc Ruộng, Xã Long Đức;{};{};2315/QĐ-UBND;16/08/2021;{};{};\r\n",
            i + 1,
            names[i % names.len()],
            1 + i % 28,
            1 + i % 12,
            1950 + i % 60,
            if i % 2 == 0 { "Nam" } else { "Nữ" },
            i,
            29236 + 3 * (i % 8),
            category,
            amount_text,
            method,
            account,
        ));
    }
    text.push_str(&format!(";Tổng cộng;;;;;;;{total};;;;;\r\n"));
    text.into_bytes()
}

fn payment_roll(rows: usize) -> Vec<u8> {
    let mut text =
        String::from("STT,Số CCCD,Họ và tên,Số tiền,Ngày chi trả,Hình thức chi trả,Số chứng từ\n");
    for i in 0..rows {
        text.push_str(&format!(
            "{},0840{:08},Thạch Sa Rây,\"1,500,000\",25/08/2021,Tiền mặt,PC-{:06}/2021\n",
            i + 1,
            i,
            i
        ));
    }
    text.into_bytes()
}

fn parse_throughput() {
    let bytes = approval_roll(ROWS);
    let mut best = f64::MAX;
    for _ in 0..3 {
        let started = Instant::now();
        let mut accepted = 0usize;
        for record in read_approvals(&bytes).expect("readable") {
            match record.expect("no file error") {
                Record::Row(_) => accepted += 1,
                Record::Totals(_) => {}
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(accepted, ROWS);
        best = best.min(started.elapsed().as_secs_f64());
    }
    println!(
        "approvals: {ROWS} rows, {:.1} MB in {:.3} s = {:.0} rows/s ({:.0} MB/s)",
        bytes.len() as f64 / 1e6,
        best,
        ROWS as f64 / best,
        bytes.len() as f64 / 1e6 / best
    );

    let bytes = payment_roll(ROWS);
    let started = Instant::now();
    let accepted = read_payments(&bytes)
        .expect("readable")
        .filter(|r| matches!(r, Ok(Record::Row(_))))
        .count();
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(accepted, ROWS);
    println!(
        "payments: {ROWS} rows, {:.1} MB in {seconds:.3} s = {:.0} rows/s",
        bytes.len() as f64 / 1e6,
        ROWS as f64 / seconds
    );
}
