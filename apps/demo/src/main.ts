import { runDemo } from './demo.js';

const report = await runDemo();
if (process.argv.includes('--json')) {
  console.log(JSON.stringify(report, null, 2));
} else {
  console.log('Toolwright demo');
  console.log(`  stage: ${report.stage}`);
  console.log(`  tool spec "${report.tool.name}" validated; content hash ${report.tool.contentHash.slice(0, 16)}…; ${report.tool.examples} example(s)`);
  console.log(`  an invalid spec is refused with ${report.rejected.code}:`);
  for (const line of report.rejected.message.split('\n')) console.log(`    ${line}`);
  console.log(
    `  a scripted model turn asked for ${report.modelTurn.toolCalls.join(', ')} ` +
      `(${report.modelTurn.inputTokens} input / ${report.modelTurn.outputTokens} output tokens)`,
  );
  console.log('  still to come:');
  for (const item of report.pending) console.log(`    - ${item}`);
}
