// "Receive Stripe events in your webhook endpoint": register an endpoint, receive a delivered
// event and verify its signature with stripe.webhooks.constructEvent on the raw body.
'use strict';

const http = require('node:http');
const {stripe, run} = require('./client');

run(async () => {
  let endpointSecret;
  const received = [];
  let resolveReceived;
  const succeeded = new Promise((resolve) => (resolveReceived = resolve));

  const server = http.createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const sig = request.headers['stripe-signature'];
      let event;
      try {
        event = stripe.webhooks.constructEvent(Buffer.concat(chunks), sig, endpointSecret);
      } catch (err) {
        received.push({error: err.message});
        response.writeHead(400);
        response.end(`Webhook Error: ${err.message}`);
        return;
      }
      received.push({id: event.id, type: event.type});
      if (event.type === 'payment_intent.succeeded') resolveReceived(event);
      response.writeHead(200, {'Content-Type': 'application/json'});
      response.end(JSON.stringify({received: true}));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

  const endpoint = await stripe.webhookEndpoints.create({
    url: `http://127.0.0.1:${server.address().port}/webhook`,
    enabled_events: ['payment_intent.succeeded', 'payment_intent.created'],
  });
  endpointSecret = endpoint.secret;

  const paymentIntent = await stripe.paymentIntents.create({
    amount: 4200,
    currency: 'eur',
    payment_method: 'pm_card_visa',
    allowed_payment_method_types: ['card'],
    confirm: true,
  });
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('no payment_intent.succeeded delivered in 10 s')), 10000);
  });
  const event = await Promise.race([succeeded, timeout]);
  clearTimeout(timer);
  server.close();

  // A payload altered in transit must not verify.
  let tampered = null;
  try {
    const payload = JSON.stringify({id: event.id, object: 'event', type: 'payment_intent.succeeded'});
    const header = stripe.webhooks.generateTestHeaderString({payload, secret: 'whsec_wrong'});
    stripe.webhooks.constructEvent(payload, header, endpointSecret);
  } catch (err) {
    tampered = err.type;
  }
  await stripe.webhookEndpoints.del(endpoint.id);
  return {
    endpoint: {id: endpoint.id, status: endpoint.status, has_secret: endpointSecret.startsWith('whsec_')},
    payment_intent: paymentIntent.id,
    event: {id: event.id, type: event.type, object: event.data.object.id, amount: event.data.object.amount},
    received,
    tampered,
  };
});
