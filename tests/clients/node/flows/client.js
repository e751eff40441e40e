// The stripe-node client every flow uses, configured the way Stripe's guides configure it
// (`require('stripe')(secretKey)`), pointed at the server named by STRIPE_API_BASE.
'use strict';

const Stripe = require('stripe');

const base = new URL(process.env.STRIPE_API_BASE);
const stripe = Stripe(process.env.STRIPE_SECRET_KEY, {
  host: base.hostname,
  port: base.port,
  protocol: base.protocol.replace(':', ''),
});

// What the flow saw, as one JSON document on stdout for the test that ran it.
function report(result) {
  process.stdout.write(JSON.stringify(result) + '\n');
}

// Run a flow; a failure prints Stripe's error (type, code, message) and exits non-zero.
function run(flow) {
  flow().then(report, (err) => {
    process.stderr.write(
      JSON.stringify({type: err.type, code: err.code, statusCode: err.statusCode, message: err.message}) +
        '\n' +
        (err.stack || '') +
        '\n',
    );
    process.exit(1);
  });
}

module.exports = {Stripe, stripe, run};
