/**
 * The Listen view in a real VS Code (code-server, suite `listen`): real Chromium chunks of the
 * fixture bucket, transcripts with word times, the real command and panel. The page's DOM and its
 * <audio> are reached from Chromium through the harness (webview-click, webview-media, probe-webview):
 * a click on a word seeks there, playback moves the highlight on. With WB_SCREENSHOT_DIR set it also
 * takes docs/screenshots/listen-{light,dark}.png and transcript-{light,dark}.png.
 */
import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BucketLayout } from '../../src/core/layout';
import { defaultSettings } from '../../src/core/settings';
import { FolderStore } from '../../src/core/store/folderStore';
import type { WhisperBatchApi } from '../../src/extension/activate';
import { OLD_SESSION, makeFixtureBucket } from './fixtureBucket';
import { activateExtension, clickInWebview, mediaInWebview, probeWebview, screenshot, setSetting, until } from './helpers';

/** The fixture's first two sentences (test/fixtures/chromium-recording/timeline.tsv), the words spread over their spoken time within each chunk. */
const WORDS: Array<[number, string, number, number]> = [
  [1, 'the', 0.8, 1.14],
  [1, 'quick', 1.14, 1.49],
  [1, 'brown', 1.49, 1.83],
  [1, 'fox', 1.83, 2.18],
  [1, 'jumps', 2.18, 2.52],
  [1, 'over', 2.52, 2.87],
  [1, 'the', 2.87, 3.21],
  [1, 'lazy', 3.21, 3.56],
  [1, 'dog', 3.56, 3.9],
  [2, 'please', 0.8, 1.12],
  [2, 'call', 1.12, 1.43],
  [2, 'stella', 1.43, 1.75],
  [2, 'and', 1.75, 2.06],
  [2, 'ask', 2.06, 2.38],
  [2, 'her', 2.38, 2.69],
  [2, 'to', 2.69, 3.01],
  [2, 'bring', 3.01, 3.32],
  [2, 'these', 3.32, 3.64],
  [2, 'things', 3.64, 3.95],
  [2, 'from', 3.95, 4.27],
  [2, 'the', 4.27, 4.58],
  [2, 'store', 4.58, 4.9],
];

async function setTheme(name: string | undefined, kind: vscode.ColorThemeKind): Promise<void> {
  const applied = new Promise<void>((resolve) => {
    if (vscode.window.activeColorTheme.kind === kind) return resolve();
    const sub = vscode.window.onDidChangeActiveColorTheme((t) => t.kind === kind && (sub.dispose(), resolve()));
  });
  await vscode.workspace.getConfiguration('workbench').update('colorTheme', name, vscode.ConfigurationTarget.Global);
  await applied;
}

describe('Listen view in VS Code', function () {
  let api: WhisperBatchApi;
  const ref = { userId: 'alice', sessionId: OLD_SESSION };
  const tmp = (n: string) => path.join(os.tmpdir(), `wb-listen-${n}-${process.pid}.json`);

  before(async function () {
    api = await activateExtension();
    const bucket = await makeFixtureBucket();
    const store = new FolderStore(bucket.dir);
    const layout = new BucketLayout(defaultSettings().layout);
    for (const n of [1, 2]) {
      const words = WORDS.filter((w) => w[0] === n).map(([, word, start, end]) => ({ word: ` ${word}`, start, end }));
      const segment = { text: words.map((w) => w.word).join(''), start: words[0].start, end: words[words.length - 1].end, words };
      await store.put(layout.transcriptKey(ref, n), JSON.stringify({ segments: [segment], duration: 5 }));
    }
    await setSetting('store', bucket.dir);
  });

  after(async function () {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await setSetting('store', undefined);
  });

  it('plays the session, the highlighted word moving with playback; a click on a word seeks to it', async function () {
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
    const before = api.listen.delivered();
    await vscode.commands.executeCommand('whisperBatch.listen', ref);
    await until(() => api.listen.delivered() > before, 'the audio handed to the Listen page', 60_000);
    // The page made its <audio> from the bytes; wait until it has decoded them.
    let ready = await mediaInWebview(tmp('m0'), 'audio.player', 'state');
    if (!ready) return this.skip(); // not in code-server
    for (let i = 0; i < 100 && !(ready?.found && ready.readyState! >= 1); i++) {
      await new Promise((r) => setTimeout(r, 200));
      ready = await mediaInWebview(tmp('m0'), 'audio.player', 'state');
    }
    assert.ok(ready?.found && ready.readyState! >= 1, `the audio loaded: ${JSON.stringify(ready)}`);
    const words = await probeWebview(tmp('p0'), '.word');
    if (!words) return this.skip();
    assert.deepEqual(
      words.frames.flatMap((f) => f.texts),
      WORDS.map((w) => w[1]),
      'the words of chunks 1 and 2, in order',
    );
    assert.equal(words.frames[0].made, 0);
    assert.deepEqual(words.dialogs, []);

    // A click on "stella" (chunk 2) plays from there: the page highlights it and says so.
    const sheet = WORDS.findIndex((w) => w[1] === 'stella');
    assert.equal((await clickInWebview(tmp('c0'), `.word[data-i="${sheet}"]`))?.clicked, 1);
    await until(() => api.listen.playedWord() === sheet, `word ${sheet} highlighted after the click`);
    const at = await mediaInWebview(tmp('m1'), 'audio.player', 'state');
    assert.ok(at && at.currentTime! > 5, `the audio is at chunk 2 (after chunk 1's ~5 s): ${at?.currentTime}`);

    // Playback from there: the highlight walks on by itself. (Where the browser refuses to play, the
    // clock is driven to the last word instead, which is what playback does to it.)
    const played = await mediaInWebview(tmp('m2'), 'audio.player', 'play');
    if (played?.error) {
      console.log(`      play() refused (${played.error}): driving currentTime`);
      await mediaInWebview(tmp('m3'), 'audio.player', at!.currentTime! - WORDS[sheet][2] + WORDS[WORDS.length - 1][2] + 0.05);
    }
    const last = WORDS.length - 1;
    await until(() => api.listen.playedWord() === last, `the highlight reaching "store" (word ${last})`, 20_000);
    const current = await probeWebview(tmp('p1'), '.word.current');
    assert.deepEqual(
      current?.frames.flatMap((f) => f.texts),
      ['store'],
      'exactly one word highlighted, the one being heard',
    );
    console.log(`      playback: ${played?.error ? 'driven' : 'played'}; highlighted word ${sheet} -> ${last}`);
    await mediaInWebview(tmp('m4'), 'audio.player', 'pause');
  });

  it('screenshots of the Listen view and the transcript tab (when WB_SCREENSHOT_DIR is set)', async function () {
    const dir = process.env.WB_SCREENSHOT_DIR;
    if (!dir) return this.skip();
    const settle = () => new Promise((r) => setTimeout(r, 800));
    // The Listen view with a word highlighted, in both themes.
    await clickInWebview(tmp('c1'), `.word[data-i="3"]`);
    for (const [theme, name, kind] of [
      ['light', 'Default Light Modern', vscode.ColorThemeKind.Light],
      ['dark', 'Default Dark Modern', vscode.ColorThemeKind.Dark],
    ] as const) {
      await setTheme(name, kind);
      await settle();
      assert.ok(await screenshot(path.join(dir, `listen-${theme}.png`)));
    }
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('whisperBatch.openTranscript', ref);
    await until(() => vscode.window.activeTextEditor?.document.uri.scheme === 'whisper-batch', 'the transcript tab');
    for (const [theme, name, kind] of [
      ['light', 'Default Light Modern', vscode.ColorThemeKind.Light],
      ['dark', 'Default Dark Modern', vscode.ColorThemeKind.Dark],
    ] as const) {
      await setTheme(name, kind);
      await settle();
      assert.ok(await screenshot(path.join(dir, `transcript-${theme}.png`)));
    }
    await setTheme(undefined, vscode.ColorThemeKind.Dark);
  });
});
