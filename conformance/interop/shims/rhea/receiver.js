#!/usr/bin/env node
'use strict';
// Interop receiver on rhea: prints each message's body and property.

const cli = require('./cli.js');
const typed = require('./typed.js');

const rhea = cli.rhea;

// rhea's message.decode turns every section into plain JavaScript (numbers, objects keyed by
// strings), losing the AMQP types: keep the typed sections its own Reader produces as well.
const decode = rhea.message.decode;
rhea.message.decode = (buffer) => {
    const message = decode(buffer);
    const reader = new rhea.types.Reader(buffer);
    message.typed_sections = [];
    while (reader.remaining()) message.typed_sections.push(reader.read());
    return message;
};

const APPLICATION_PROPERTIES = new Set([0x74, 'amqp:application-properties:map']);
const AMQP_VALUE = new Set([0x77, 'amqp:amqp-value:*']);

function line(sections) {
    let index = null;
    let property = null;
    let body = {type: 'unrepresentable', detail: 'no amqp-value section'};
    for (const section of sections) {
        const descriptor = section.descriptor && section.descriptor.value;
        if (APPLICATION_PROPERTIES.has(descriptor)) {
            const flat = section.value;
            for (let i = 0; i + 1 < flat.length; i += 2) {
                const key = typed.fromRhea(flat[i]);
                if (key.type !== 'string') continue;
                const value = typed.fromRhea(flat[i + 1]);
                if (key.value === 'index' && value.type === 'int') index = Number(value.value);
                if (key.value === 'value') property = value;
            }
        } else if (AMQP_VALUE.has(descriptor)) {
            // The section's descriptor sits on the value itself. rhea's Reader keeps only the
            // outermost descriptor of a value, so a described body loses its own descriptor.
            const value = Object.assign(Object.create(Object.getPrototypeOf(section)), section,
                {descriptor: undefined});
            body = typed.fromRhea(value);
        }
    }
    return {index, body, property};
}

function main() {
    let args;
    let options;
    try {
        args = cli.parse('receiver');
        options = cli.connectOptions(args);
    } catch (e) {
        cli.fail(`${e.name}: ${e.message}`);
    }
    const count = Number(args.count);
    const timeout = Number(args.timeout);
    if (count === 0) return;
    let received = 0;
    let error;
    const timer = setTimeout(
        () => cli.fail(`timeout after ${timeout}s: ${received} of ${count} messages`),
        timeout * 1000);
    const stop = (context, why) => {
        if (error === undefined) error = why;
        context.connection.close();
    };
    const container = rhea.create_container();
    container.on('message', (context) => {
        if (received === count) return;  // beyond --count: left unsettled for the broker
        cli.emit(line(context.message.typed_sections));
        context.delivery.accept();
        if (++received === count) {
            clearTimeout(timer);
            context.receiver.close();
            context.connection.close();
        }
    });
    for (const [event, endpoint] of [['connection_error', 'connection'],
        ['session_error', 'session'], ['receiver_error', 'receiver']]) {
        container.on(event, (context) =>
            stop(context, `${event}: ${cli.describe(context[endpoint].error)}`));
    }
    container.on('error', (context) => cli.fail(`error: ${cli.describe(context.error)}`));
    container.on('disconnected', (context) => {
        if (error === undefined && received < count) {
            error = `disconnected after ${received} of ${count} messages: ` +
                cli.describe(context.error);
        }
        if (error !== undefined) cli.fail(error);
    });
    container.on('connection_close', () => {
        if (error !== undefined) cli.fail(error);
        process.exit(0);
    });
    try {
        const connection = container.connect(options);
        connection.open_receiver({source: {address: args.address}, autoaccept: false,
            credit_window: Math.min(count, 100)});
    } catch (e) {
        cli.fail(`${e.name}: ${e.message}`);
    }
}

main();
