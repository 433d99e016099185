/** The desired state of one node: pure, from the resolved spec and the node's facts. */
import type {Resource} from '../resources/model.js';
import {bridgeAndPods} from './bridge.js';
import type {NodeContext} from './context.js';
import {forwarding, masquerade} from './forwarding.js';
import {overlay} from './overlay.js';
import {routing} from './routing.js';
import {services} from './services.js';
import {underlay} from './underlay.js';

export type {NodeContext, NodeFacts} from './context.js';

export function desiredState(context: NodeContext): Resource[] {
  const byMode = (): Resource[] => {
    switch (context.cluster.mode) {
      case 'overlay': return [...bridgeAndPods(context), ...overlay(context)];
      case 'routing': return [...bridgeAndPods(context), ...routing(context)];
      case 'underlay': return underlay(context);
    }
  };
  return [...forwarding(context), ...byMode(), ...masquerade(context), ...services(context)];
}
