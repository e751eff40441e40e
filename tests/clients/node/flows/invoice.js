// "Create an invoice" for a one-off charge, as the guide writes it: a pending invoice item in EUR,
// an invoice that includes the pending items (no currency given), finalized.
'use strict';

const {stripe, run} = require('./client');

run(async () => {
  const customer = await stripe.customers.create({
    name: 'Jenny Rosen',
    email: 'jenny.rosen@example.com',
    description: 'Customer to invoice',
  });
  const invoiceItem = await stripe.invoiceItems.create({
    customer: customer.id,
    amount: 15000,
    currency: 'eur',
    description: 'One-time setup fee',
  });
  const invoice = await stripe.invoices.create({
    customer: customer.id,
    pending_invoice_items_behavior: 'include',
  });
  const finalized = await stripe.invoices.finalizeInvoice(invoice.id);
  const lines = await stripe.invoices.listLineItems(invoice.id);
  const updated = await stripe.customers.retrieve(customer.id);
  return {
    invoice_item: {id: invoiceItem.id, amount: invoiceItem.amount, currency: invoiceItem.currency},
    draft: {status: invoice.status, currency: invoice.currency, total: invoice.total},
    finalized: {
      status: finalized.status,
      currency: finalized.currency,
      total: finalized.total,
      amount_due: finalized.amount_due,
      number: finalized.number,
    },
    lines: lines.data.map((l) => ({amount: l.amount, currency: l.currency, description: l.description})),
    customer_currency: updated.currency,
  };
});
