'use strict';
// The shims' command line (conformance/interop/README.md) and rhea's connection options.

const fs = require('fs');
const {parseArgs} = require('util');

function emit(obj) {
    process.stdout.write(JSON.stringify(obj) + '\n');
}

// Stdout is a pipe or a file here, which Node writes synchronously: exiting loses nothing.
function fail(why) {
    emit({error: why});
    process.exit(1);
}

let rhea;
try {
    rhea = require('rhea');
} catch (e) {
    fail('cannot load rhea (install it with npm and put its node_modules on NODE_PATH): ' +
        e.message);
}

function parse(role) {
    const options = {
        url: {type: 'string'}, address: {type: 'string'},
        ca: {type: 'string'}, cert: {type: 'string'}, key: {type: 'string'},
        'server-name': {type: 'string', default: 'localhost'},
        user: {type: 'string'}, password: {type: 'string'}, mechs: {type: 'string'},
    };
    const required = ['url', 'address'];
    if (role === 'sender') {
        options.values = {type: 'string'};
        required.push('values');
    } else {
        options.count = {type: 'string'};
        options.timeout = {type: 'string'};  // seconds for the whole run
        required.push('count', 'timeout');
    }
    const args = parseArgs({options}).values;
    for (const name of required) {
        if (args[name] === undefined) throw new Error(`--${name} is required`);
    }
    return args;
}

function mechanisms(args) {
    const mechs = rhea.sasl.client_mechanisms();
    const names = args.mechs ? args.mechs.split(/\s+/).filter(Boolean) :
        [args.user ? 'PLAIN' : 'ANONYMOUS'];
    for (const name of names) {
        if (name === 'PLAIN') mechs.enable_plain(args.user, args.password || '');
        else if (name === 'ANONYMOUS') mechs.enable_anonymous();
        else if (name === 'EXTERNAL') mechs.enable_external();
        else throw new Error(`rhea has no SASL ${name} client`);
    }
    return mechs;
}

// Options for container.connect. Without sasl_mechanisms rhea would skip SASL entirely when
// there is no user, where the README asks for ANONYMOUS.
function connectOptions(args) {
    const url = new URL(args.url);
    if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:') {
        throw new Error(`bad --url ${args.url}`);
    }
    const tls = url.protocol === 'amqps:';
    const options = {
        host: url.hostname,
        port: Number(url.port) || (tls ? 5671 : 5672),
        reconnect: false,
        sasl_mechanisms: mechanisms(args),
    };
    if (tls) {
        Object.assign(options, {transport: 'tls', servername: args['server-name']});
        if (args.ca) options.ca = fs.readFileSync(args.ca);
        if (args.cert) options.cert = fs.readFileSync(args.cert);
        if (args.key) options.key = fs.readFileSync(args.key);
    }
    return options;
}

function describe(error) {
    if (!error) return 'no detail';
    if (error.condition) return `${error.condition}: ${error.description || ''}`;
    return error.message || String(error);
}

module.exports = {rhea, parse, connectOptions, emit, fail, describe};
