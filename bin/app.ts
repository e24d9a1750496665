import { App } from 'aws-cdk-lib';
import { buildServiceApp } from '../lib/app.js';

buildServiceApp(new App());
