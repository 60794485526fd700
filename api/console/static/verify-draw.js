// 双随机抽取 re-derived in the reader's browser (docs/audit.md §6, sha256-ctr-fisher-yates v1/v2):
// the published inputs → SHA-256 key → counter-mode stream → partial Fisher–Yates shuffles.
"use strict";
(function () {
  const utf8 = (text) => new TextEncoder().encode(text);
  const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const unhex = (text) => new Uint8Array(text.match(/../g).map((h) => parseInt(h, 16)));
  const be = (n, size) => {
    const out = new Uint8Array(size);
    let v = BigInt(n);
    for (let i = size - 1; i >= 0; i--) { out[i] = Number(v & 0xffn); v >>= 8n; }
    return out;
  };
  const concat = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  };
  const field = (bytes) => concat(be(bytes.length, 4), bytes);
  const byCodePoint = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

  async function derive(round) {
    const draw = round.draw;
    const v2 = draw.algorithm.endsWith("/v2");
    const problems = [];
    if (hex(await sha256(utf8(draw.seed))) !== draw.commitment) problems.push("种子与承诺不符");
    if (v2 && hex(await sha256(utf8(draw.co_seed))) !== draw.co_commitment) {
      problems.push("第二方种子与承诺不符");
    }
    const seeds = v2 ? concat(field(utf8(draw.seed)), field(utf8(draw.co_seed))) : field(utf8(draw.seed));
    const key = await sha256(concat(
      field(utf8(v2 ? "supervision-draw/v2" : "supervision-draw/v1")), field(utf8(round.id)), seeds,
      field(be(draw.chain_head.index, 8)), field(unhex(draw.chain_head.hash))));
    let counter = 0, block = [];
    const next = async () => {
      if (!block.length) {
        const b = await sha256(concat(key, be(counter++, 8)));
        for (let i = 0; i < 32; i += 8) {
          block.push(b.slice(i, i + 8).reduce((v, x) => (v << 8n) | BigInt(x), 0n));
        }
      }
      return block.shift();
    };
    const TWO64 = 1n << 64n;
    const uniform = async (n) => {
      const limit = TWO64 - (TWO64 % BigInt(n));
      for (;;) { const x = await next(); if (x < limit) return Number(x % BigInt(n)); }
    };
    const shuffle = async (items, k) => {
      const pool = items.slice();
      for (let i = 0; i < k; i++) {
        const j = i + await uniform(pool.length - i);
        [pool[i], pool[j]] = [pool[j], pool[i]];
      }
      return pool.slice(0, k);
    };
    const population = Array.from(new Set(round.population)).sort(byCodePoint);
    const n = population.length;
    const k = Math.min(n, Math.max(1, Math.ceil(n * round.rules.share_percent / 100)));
    const targets = [];
    for (const unit of await shuffle(population, k)) {
      const names = round.inspectors.filter((i) => i.unit_code !== unit).map((i) => i.name)
        .sort(byCodePoint);
      targets.push({ unit_code: unit, team: await shuffle(names, round.rules.team_size) });
    }
    if (JSON.stringify(targets) !== JSON.stringify(round.targets.map((t) => ({ unit_code: t.unit_code, team: t.team })))) {
      problems.push("重新计算的检查对象或检查组与公布的不一致");
    }
    return problems;
  }

  document.addEventListener("click", async (event) => {
    const button = event.target.closest(".verify-draw");
    if (!button) return;
    const section = button.closest(".public-round");
    const result = section.querySelector(".verify-result");
    const round = JSON.parse(section.dataset.round);  // an attribute: the page escapes it
    const problems = await derive(round);
    result.textContent = problems.length
      ? "验证失败：" + problems.join("；")
      : "验证通过：浏览器重新计算的抽取结果与公布的一致。";
    result.className = "verify-result " + (problems.length ? "bad" : "ok");
  });
})();
