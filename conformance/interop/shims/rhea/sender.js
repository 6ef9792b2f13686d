#!/usr/bin/env node
'use strict';
// Interop sender on rhea: one message per value, at least once.

const fs = require('fs');
const cli = require('./cli.js');
const typed = require('./typed.js');

const rhea = cli.rhea;

function buildMessages(values) {
    const messages = [];
    const unsupported = [];
    values.forEach((tv, index) => {
        try {
            if (tv.type === 'described') {
                // The encoder marks the body as amqp-value by setting that descriptor on the
                // value object itself, which replaces the value's own descriptor.
                throw new typed.Unsupported("rhea's message encoder replaces a described " +
                    "body's descriptor with the amqp-value one (0x77)");
            }
            const body = typed.toRhea(tv);
            const properties = {index: rhea.types.wrap_int(index)};
            if (!typed.NOT_PROPERTY.has(tv.type) && tv.generate === undefined) {
                // A value object of its own: the body's gets the amqp-value descriptor set on it.
                properties.value = typed.toRhea(tv);
            }
            messages.push([index,
                {message_id: `interop-${index}`, application_properties: properties, body}]);
        } catch (e) {
            if (!(e instanceof typed.Unsupported)) throw e;
            unsupported.push({index, type: tv.type, why: e.message});
        }
    });
    return {messages, unsupported};
}

function main() {
    let args;
    let built;
    try {
        args = cli.parse('sender');
        built = buildMessages(JSON.parse(fs.readFileSync(args.values, 'utf8')).values);
    } catch (e) {
        cli.fail(`${e.name}: ${e.message}`);
    }
    const {messages, unsupported} = built;
    const done = () => cli.emit({sent: messages.length, unsupported});
    if (messages.length === 0) {
        done();
        return;
    }
    let next = 0;
    let accepted = 0;
    let error;
    const stop = (context, why) => {
        if (error === undefined) error = why;
        context.connection.close();
    };
    const container = rhea.create_container();
    container.on('sendable', (context) => {
        while (context.sender.sendable() && next < messages.length) {
            const [index, message] = messages[next++];
            context.sender.send(message, Buffer.from(String(index)));  // tag: the value's index
        }
    });
    container.on('accepted', (context) => {
        if (++accepted === messages.length) context.connection.close();
    });
    for (const outcome of ['rejected', 'released', 'modified']) {
        container.on(outcome, (context) => stop(context, `message tagged ${context.delivery.tag} ` +
            `${outcome}: ${JSON.stringify(context.delivery.remote_state)}`));
    }
    for (const [event, endpoint] of [['connection_error', 'connection'],
        ['session_error', 'session'], ['sender_error', 'sender']]) {
        container.on(event, (context) =>
            stop(context, `${event}: ${cli.describe(context[endpoint].error)}`));
    }
    container.on('error', (context) => cli.fail(`error: ${cli.describe(context.error)}`));
    container.on('disconnected', (context) => {
        if (error === undefined && accepted < messages.length) {
            error = `disconnected after ${accepted} of ${messages.length} accepted: ` +
                cli.describe(context.error);
        }
        if (error !== undefined) cli.fail(error);
    });
    container.on('connection_close', () => {
        if (error !== undefined) cli.fail(error);
        done();
        process.exit(0);
    });
    try {
        const connection = container.connect(cli.connectOptions(args));
        connection.open_sender({target: {address: args.address}});
    } catch (e) {
        cli.fail(`${e.name}: ${e.message}`);
    }
}

main();
