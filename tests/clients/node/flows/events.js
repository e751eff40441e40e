// Every event of the account, walked with auto-pagination (`for await`), counted by type.
'use strict';

const {stripe, run} = require('./client');

run(async () => {
  const byType = {};
  const ids = [];
  let total = 0;
  let previous = Infinity;
  let ordered = true;
  for await (const event of stripe.events.list({limit: 100})) {
    total += 1;
    ids.push(event.id);
    byType[event.type] = (byType[event.type] || 0) + 1;
    if (event.created > previous) ordered = false;
    previous = event.created;
  }
  const firstPage = await stripe.events.list({limit: 100});
  return {
    total,
    ids,
    newest_first: ordered,
    by_type: byType,
    first_page: firstPage.data.length,
    api_version: firstPage.data[0].api_version,
  };
});
